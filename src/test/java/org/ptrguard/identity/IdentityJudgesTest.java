package org.ptrguard.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.ptrguard.dns.DnsOutcome;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;

/**
 * The judges on their own: from what lookups saw to findings, without a DNS server (the lookups
 * themselves are covered against a real server in IdentityCheckerTest and IdentityFaultsTest).
 */
class IdentityJudgesTest {
  private static final String RESOLVER = "127.0.0.1:53";
  private final IdentityJudges judges = new IdentityJudges(GenericNameClassifier.standard());

  private static InetAddress ip(String text) throws Exception {
    return InetAddress.getByName(text);
  }

  private static DnsOutcome.Answer answer(long ttl, Record... records) {
    return new DnsOutcome.Answer(List.of(records), List.of(), ttl, RESOLVER);
  }

  private static PTRRecord ptr(InetAddress ip, String target, long ttl) throws Exception {
    return new PTRRecord(ReverseMap.fromAddress(ip), DClass.IN, ttl, Name.fromString(target + "."));
  }

  private static ARecord a(String name, InetAddress ip, long ttl) throws Exception {
    return new ARecord(Name.fromString(name + "."), DClass.IN, ttl, ip);
  }

  private IdentityReport judge(InetAddress ip, String ehlo, Observations seen) {
    CheckSubject s = CheckSubject.of(new Identity("default", ip, ehlo, false), RESOLVER);
    return judges.judge(s, seen, Instant.EPOCH);
  }

  @Test
  void secondPtrNameConfirmsAndIsTheNameTheEhloFixRecommends() throws Exception {
    InetAddress ip = ip("192.0.2.10");
    DnsOutcome ptr = answer(600, ptr(ip, "mail.example.com", 600), ptr(ip, "alias.example.com", 600));
    List<NameAnswer> forward = List.of(
        new NameAnswer("alias.example.com", new DnsOutcome.NxDomain(120, "example.com.", RESOLVER)),
        new NameAnswer("mail.example.com", answer(300, a("mail.example.com", ip, 300))));
    List<DnsOutcome> ehlo = List.of(answer(900, a("other.example.org", ip("198.51.100.7"), 900)),
        new DnsOutcome.NoData(60, "example.org.", RESOLVER));

    IdentityReport r = judge(ip, "other.example.org", new Observations(ptr, forward, Optional.empty(), Optional.empty(), ehlo, List.of()));

    assertThat(r.codes()).containsExactly("ptr.multiple", "ehlo.address-mismatch", "ehlo.ptr-mismatch");
    assertThat(r.verdict()).isEqualTo(Verdict.WARN);
    assertThat(r.ptrNames()).containsExactly("alias.example.com", "mail.example.com");
    assertThat(r.findings().get(1).fix()).contains("the PTR name mail.example.com is the natural choice");
    assertThat(r.findings().get(2).fix()).contains("set smtp_helo_name = mail.example.com");
    // The smallest TTL of every answer the verdict rests on, negative ones included.
    assertThat(r.minTtl()).isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void provenFailureOutranksATemporaryOneAndTheReportIsNotCached() throws Exception {
    InetAddress ip = ip("192.0.2.11");
    DnsOutcome ptr = answer(600, ptr(ip, "mail.example.com", 600));
    List<NameAnswer> forward = List.of(new NameAnswer("mail.example.com", new DnsOutcome.ServFail(RESOLVER)));

    IdentityReport r = judge(ip, "localhost", new Observations(ptr, forward, Optional.empty(),
        HostNames.fqdnProblem("localhost"), List.of(), List.of()));

    assertThat(r.codes()).containsExactly("ehlo.invalid", "dns.temporary");
    assertThat(r.verdict()).isEqualTo(Verdict.FAIL);
    assertThat(r.findings().get(1).message()).isEqualTo("could not look up the forward lookup of the PTR name (temporary DNS failure)");
    assertThat(r.minTtl()).isEqualTo(Duration.ZERO);
  }

  @Test
  void otherViewDisagreeingIsAWarningWithBothAnswers() throws Exception {
    InetAddress ip = ip("192.0.2.12");
    DnsOutcome ptr = answer(600, ptr(ip, "mail.example.com", 600));
    List<NameAnswer> forward = List.of(new NameAnswer("mail.example.com", answer(300, a("mail.example.com", ip, 300))));
    List<DnsOutcome> ehlo = List.of(answer(300, a("mail.example.com", ip, 300)), new DnsOutcome.NoData(60, "example.com.", RESOLVER));
    ViewSummary other = new ViewSummary("127.0.0.2:53", false, List.of("old.example.com"), List.of());
    ViewSummary silent = new ViewSummary("127.0.0.3:53", true, List.of(), List.of());

    IdentityReport r = judge(ip, "mail.example.com", new Observations(ptr, forward, Optional.empty(), Optional.empty(), ehlo,
        List.of(other, silent)));

    assertThat(r.codes()).containsExactly("resolvers.disagree");
    assertThat(r.findings().get(0).evidence()).containsExactly(
        "127.0.0.1:53: PTR mail.example.com; resolving back: mail.example.com",
        "127.0.0.2:53: PTR old.example.com; resolving back: none");
  }
}
