package org.ptrguard.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.dns.DnsClient;
import org.ptrguard.dns.DnsCounters;
import org.ptrguard.postfix.Route.Family;
import org.ptrguard.testing.TestDnsServer;

/** MX address families from the in-process authoritative DNS server: learnt in the background, never waited for. */
class DestinationFamiliesTest {
  @TempDir Path dir;
  private final ExecutorService executor = Executors.newFixedThreadPool(2);
  private TestDnsServer dns;

  @AfterEach
  void stop() {
    executor.shutdownNow();
    if (dns != null) {
      dns.close();
    }
  }

  private DestinationFamilies start() throws Exception {
    Path zone = dir.resolve("example.net.zone");
    Files.writeString(zone, """
        $ORIGIN example.net.
        $TTL 300
        @        IN SOA ns.example.net. hostmaster.example.net. ( 1 60 60 600 60 )
        @        IN NS  ns.example.net.
        ns       IN A   192.0.2.53
        v4only   IN MX  10 mx4.example.net.
        mx4      IN A   198.51.100.4
        dual     IN MX  10 mx4.example.net.
        dual     IN MX  20 mx6.example.net.
        mx6      IN AAAA 2001:db8::6
        nomx     IN AAAA 2001:db8::7
        nullmx   IN MX  0 .
        """);
    dns = TestDnsServer.start().zone("example.net.", zone);
    DnsClient client = new DnsClient(List.of(dns.address()), Duration.ofSeconds(1), executor, new DnsCounters());
    return new DestinationFamilies(client, executor, Clock.systemUTC());
  }

  private static Optional<Set<Family>> await(DestinationFamilies f, String domain) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    Optional<Set<Family>> got;
    while ((got = f.peek(domain)).isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    return got;
  }

  @Test
  void notKnownAtFirstThenTheFamiliesOfTheMailExchangers() throws Exception {
    DestinationFamilies f = start();
    assertThat(f.peek("v4only.example.net")).isEmpty(); // never waits: the lookup runs in the background
    assertThat(await(f, "v4only.example.net")).contains(Set.of(Family.IPV4));
    assertThat(await(f, "dual.example.net")).contains(Set.of(Family.IPV4, Family.IPV6));
    assertThat(await(f, "nomx.example.net")).contains(Set.of(Family.IPV6)); // implicit MX: the domain's own records
    assertThat(await(f, "nullmx.example.net")).contains(Set.of());
    int lookups = f.lookupsStarted();
    f.peek("v4only.example.net");
    assertThat(f.lookupsStarted()).as("cached by TTL").isEqualTo(lookups);
  }

  @Test
  void oddDomainsAreNeverLookedUp() throws Exception {
    DestinationFamilies f = start();
    for (String odd : List.of("", "[192.0.2.1]", "a..b", "x".repeat(300), "bad_name.example.net")) {
      assertThat(f.peek(odd)).isEmpty();
    }
    assertThat(f.lookupsStarted()).isZero();
  }
}
