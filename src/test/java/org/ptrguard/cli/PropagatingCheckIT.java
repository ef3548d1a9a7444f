package org.ptrguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.cli.CheckCommandIT.Result;
import org.ptrguard.testing.TestDnsServer;

/**
 * {@code ptrguard check} through the packaged jar with the authoritative view: the configured
 * resolver (a test server without the AA bit) still caches "no PTR", the reverse zone's own server
 * (127.0.0.2 on dns.authoritative-port) already has the PTR.
 */
class PropagatingCheckIT {
  @TempDir Path dir;
  private TestDnsServer resolver;
  private List<TestDnsServer> servers;

  @AfterEach
  void stop() {
    resolver.close();
    servers.forEach(TestDnsServer::close);
  }

  private Path file(String name, String text) throws Exception {
    return Files.writeString(dir.resolve(name), text);
  }

  private static String reverse(long negative, String ptr) {
    return """
        $ORIGIN 2.0.192.in-addr.arpa.
        $TTL 3600
        @  %d IN SOA ns1.isp.example.net. hostmaster.isp.example.net. 1 3600 600 86400 %d
        @  IN NS  ns1.isp.example.net.
        """.formatted(negative, negative) + ptr + "\n";
  }

  @Test
  void checkSaysTheChangeIsPropagatingAndJudgesTheAuthoritativeAnswer() throws Exception {
    String example = """
        $ORIGIN example.com.
        $TTL 300
        @    IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 60
        @    IN NS  ns1.example.com.
        ns1  IN A 127.0.0.2
        mail IN A 192.0.2.10
        """;
    String isp = """
        $ORIGIN isp.example.net.
        $TTL 600
        @   IN SOA ns1.isp.example.net. hostmaster.isp.example.net. 1 3600 600 86400 120
        @   IN NS  ns1.isp.example.net.
        ns1 IN A 127.0.0.2
        """;
    resolver = TestDnsServer.start().authoritative(false)
        .zone("2.0.192.in-addr.arpa", file("cached.zone", reverse(90, "")))
        .zone("example.com", file("example.zone", example)).zone("isp.example.net", file("isp.zone", isp));
    servers = TestDnsServer.startOnSamePort(List.of("127.0.0.2"));
    servers.get(0).zone("2.0.192.in-addr.arpa", file("now.zone", reverse(120, "10 IN PTR mail.example.com.")))
        .zone("example.com", dir.resolve("example.zone")).zone("isp.example.net", dir.resolve("isp.zone"));
    String resolverArg = "127.0.0.1:" + resolver.address().getPort();
    Path conf = file("ptrguard.conf", "dns.authoritative-port = " + servers.get(0).address().getPort() + "\n");

    Result text = CheckCommandIT.ptrguard("check", "--config", conf.toString(), "--ip", "192.0.2.10", "--ehlo",
        "mail.example.com", "--resolver", resolverArg);
    // The text report wraps long lines: compared with single spaces.
    assertThat(text.out().replaceAll("\\s+", " ")).as(text.err()).contains("WARN dns.propagating")
        .contains("the authoritative servers answer PTR mail.example.com; the resolver caches no PTR for another 90 s")
        .contains("keep rejecting for up to 120 s").doesNotContain("ptr.missing");
    assertThat(text.exit()).as("warn").isEqualTo(1);
    Result json = CheckCommandIT.ptrguard("check", "--config", conf.toString(), "--ip", "192.0.2.10", "--ehlo",
        "mail.example.com", "--resolver", resolverArg, "--json");
    assertThat(json.out()).contains("\"dns.propagating\"");

    // Without the authoritative view the cached "no PTR" is all there is.
    Path off = file("off.conf", "dns.authoritative = no\n");
    Result plain = CheckCommandIT.ptrguard("check", "--config", off.toString(), "--ip", "192.0.2.10", "--ehlo",
        "mail.example.com", "--resolver", resolverArg);
    assertThat(plain.out()).contains("ptr.missing").doesNotContain("dns.propagating");
    assertThat(plain.exit()).isEqualTo(2);
  }
}
