package org.ptrguard.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.dns.DnsOptions;
import org.ptrguard.testing.TestDnsServer;
import org.ptrguard.testing.UnboundResolver;

/**
 * The checker against a real recursive server (unbound) that resolves our test zones from the
 * in-process authoritative server: the answers then carry a recursive server's shape (no AA,
 * cached TTLs, CNAMEs resolved by the recursor) instead of an authoritative one.
 */
class UnboundRecursiveIT {
  @TempDir Path dir;

  @Test
  void checksWorkThroughARealRecursiveResolver() throws Exception {
    try (TestDnsServer auth = IdentityCheckerTest.withZones(TestDnsServer.start())) {
      Map<String, String> stubs = new LinkedHashMap<>();
      for (String zone : List.of("example.com", "isp.example.net", "2.0.192.in-addr.arpa")) {
        stubs.put(zone, "127.0.0.1@" + auth.address().getPort());
      }
      try (UnboundResolver unbound = UnboundResolver.start(dir, stubs)) {
        DnsOptions options = new DnsOptions(List.of(unbound.address()), List.of(), Duration.ofSeconds(1), Duration.ofSeconds(4));
        try (IdentityChecker checker = new IdentityChecker(options, GenericNameClassifier.standard())) {
          IdentityReport good = check(checker, "192.0.2.10", "mail.example.com");
          assertThat(good.verdict()).as(good.findings() + " " + unbound.log()).isEqualTo(Verdict.PASS);
          assertThat(good.ptrNames()).containsExactly("mail.example.com");
          IdentityReport bad = check(checker, "192.0.2.11", "mail.example.com");
          assertThat(bad.codes()).contains("fcrdns.mismatch");
        }
        // With the authoritative view: the zones' NS (ns1 ... A 127.0.0.1) lead back to the test
        // server, which agrees with what unbound caches: no dns.propagating, the same verdicts.
        try (IdentityChecker checker = new IdentityChecker(options.withAuthoritativePort(auth.address().getPort()),
            GenericNameClassifier.standard())) {
          IdentityReport good = check(checker, "192.0.2.10", "mail.example.com");
          assertThat(good.verdict()).as(good.findings().toString()).isEqualTo(Verdict.PASS);
          IdentityReport bad = check(checker, "192.0.2.11", "mail.example.com");
          assertThat(bad.codes()).contains("fcrdns.mismatch").doesNotContain("dns.propagating");
        }
      }
    }
  }

  private static IdentityReport check(IdentityChecker c, String ip, String ehlo) throws Exception {
    return c.check(new Identity("default", InetAddress.getByName(ip), ehlo, false)).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

}
