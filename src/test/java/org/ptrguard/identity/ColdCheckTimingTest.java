package org.ptrguard.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.ptrguard.dns.DnsOptions;
import org.ptrguard.testing.TestDnsServer;

/**
 * Times a cold check (fresh checker: new resolver, empty dnsjava cache, first lookups of the JVM's
 * DNS classes in this test) of one coherent identity against the loopback test server, and a warm
 * repeat. Prints the numbers for the issue notes; asserts the verdicts only (timings are measurements, not pass criteria).
 */
class ColdCheckTimingTest {
  @Test
  void coldAndWarmCheckOfOneIdentity() throws Exception {
    try (TestDnsServer dns = IdentityCheckerTest.withZones(TestDnsServer.start());
         IdentityChecker checker = new IdentityChecker(
             new DnsOptions(List.of(dns.address()), List.of(), Duration.ofSeconds(2), Duration.ofSeconds(5)),
             GenericNameClassifier.standard())) {
      Identity id = new Identity("default", InetAddress.getByName("192.0.2.10"), "mail.example.com", false);
      long t0 = System.nanoTime();
      IdentityReport cold = checker.check(id).toCompletableFuture().get(10, TimeUnit.SECONDS);
      long coldMs = (System.nanoTime() - t0) / 1_000_000;
      long coldQueries = dns.queries();
      long t1 = System.nanoTime();
      IdentityReport warm = checker.check(id).toCompletableFuture().get(10, TimeUnit.SECONDS);
      long warmUs = (System.nanoTime() - t1) / 1_000;
      System.out.printf("cold-check ms=%d queries=%d warm-check us=%d queries=%d%n",
          coldMs, coldQueries, warmUs, dns.queries() - coldQueries);
      assertThat(cold.verdict()).isEqualTo(Verdict.PASS);
      assertThat(warm.verdict()).isEqualTo(Verdict.PASS);
    }
  }
}
