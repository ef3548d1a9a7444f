package org.ptrguard.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.dns.DnsOptions;
import org.ptrguard.testing.FreePorts;
import org.ptrguard.testing.TestDnsServer;

/**
 * The checker against a real recursive server (unbound) that resolves our test zones from the
 * in-process authoritative server: the answers then carry a recursive server's shape (no AA,
 * cached TTLs, CNAMEs resolved by the recursor) instead of an authoritative one.
 */
class UnboundRecursiveIT {
  @TempDir Path dir;

  @Test
  void checksWorkThroughARealRecursiveResolver() throws Exception {
    Path unbound = Path.of("/usr/sbin/unbound");
    assertThat(Files.isExecutable(unbound)).as("unbound is needed: apt-get install unbound").isTrue();
    try (TestDnsServer auth = IdentityCheckerTest.withZones(TestDnsServer.start())) {
      int port = FreePorts.next();
      String stubs = "";
      for (String zone : List.of("example.com", "isp.example.net", "2.0.192.in-addr.arpa")) {
        stubs += "stub-zone:\n  name: \"" + zone + ".\"\n  stub-addr: 127.0.0.1@" + auth.address().getPort() + "\n";
      }
      Path conf = dir.resolve("unbound.conf");
      Files.writeString(conf, "server:\n"
          + "  interface: 127.0.0.1@" + port + "\n  port: " + port + "\n"
          + "  do-daemonize: no\n  username: \"\"\n  chroot: \"\"\n  directory: \"" + dir + "\"\n"
          + "  pidfile: \"\"\n  use-syslog: no\n  logfile: \"\"\n  verbosity: 0\n"
          + "  do-not-query-localhost: no\n  module-config: \"iterator\"\n  access-control: 127.0.0.0/8 allow\n"
          + "  local-zone: \"2.0.192.in-addr.arpa.\" nodefault\n  local-zone: \"example.com.\" nodefault\n"
          + "  local-zone: \"example.net.\" nodefault\n  num-threads: 1\n"
          + "remote-control:\n  control-enable: no\n"
          + stubs);
      Process p = new ProcessBuilder(unbound.toString(), "-d", "-c", conf.toString())
          .redirectErrorStream(true).redirectOutput(dir.resolve("unbound.log").toFile()).start();
      try {
        DnsOptions options = new DnsOptions(List.of(new InetSocketAddress("127.0.0.1", port)), List.of(),
            Duration.ofSeconds(1), Duration.ofSeconds(4));
        try (IdentityChecker checker = new IdentityChecker(options, GenericNameClassifier.standard())) {
          IdentityReport good = awaitStarted(checker, p, "192.0.2.10", "mail.example.com");
          assertThat(good.verdict()).as(good.findings() + " " + Files.readString(dir.resolve("unbound.log")))
              .isEqualTo(Verdict.PASS);
          assertThat(good.ptrNames()).containsExactly("mail.example.com");
          IdentityReport bad = check(checker, "192.0.2.11", "mail.example.com");
          assertThat(bad.codes()).contains("fcrdns.mismatch");
        }
      } finally {
        p.destroy();
        p.waitFor(5, TimeUnit.SECONDS);
      }
    }
  }

  private static IdentityReport check(IdentityChecker c, String ip, String ehlo) throws Exception {
    return c.check(new Identity("default", InetAddress.getByName(ip), ehlo, false)).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** unbound needs a moment to bind; until then the check is "unknown" (never a false fail). */
  private static IdentityReport awaitStarted(IdentityChecker c, Process p, String ip, String ehlo) throws Exception {
    IdentityReport r = check(c, ip, ehlo);
    for (int i = 0; i < 20 && r.verdict() == Verdict.UNKNOWN && p.isAlive(); i++) {
      Thread.sleep(250);
      r = check(c, ip, ehlo);
    }
    return r;
  }
}
