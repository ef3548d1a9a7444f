package org.ptrguard.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The shipped receiver profiles judged over facts, and profile data that does not parse. A new rule
 * in receivers.conf gets a case here (and, for SpamAssassin, rspamd and Postfix, a row in the
 * validation identities of ReceiverMatrixValidationIT).
 */
class ReceiverProfilesTest {
  private static final ReceiverProfiles STANDARD = ReceiverProfiles.standard();

  private static ReceiverFacts v4(Set<String> codes, String verifiedPtr, String helo) {
    return new ReceiverFacts(false, "192.0.2.10", codes, Optional.ofNullable(verifiedPtr), helo);
  }

  private static Map<String, ReceiverVerdict> byProfile(ReceiverFacts facts) {
    return STANDARD.judge(facts).rows().stream().collect(Collectors.toMap(r -> r.profile().id(), r -> r));
  }

  private static List<String> fired(ReceiverVerdict v) {
    return v.fired().stream().map(f -> f.rule().name()).toList();
  }

  @Test
  void theShippedDataHasTheSixProfilesEachRuleWithASource() {
    assertThat(STANDARD.profiles()).extracting(ReceiverProfile::id)
        .containsExactly("gmail", "microsoft", "yahoo", "postfix", "spamassassin", "rspamd");
    assertThat(STANDARD.profiles().stream().flatMap(p -> p.rules().stream()).toList())
        .isNotEmpty().allSatisfy(r -> assertThat(r.source()).isNotBlank());
  }

  @Test
  void aGoodIdentityIsAcceptedEverywhereWithoutScore() {
    Map<String, ReceiverVerdict> m = byProfile(v4(Set.of(), "mail.example.com", "mail.example.com"));
    assertThat(m.values()).hasSize(6).allSatisfy(v -> {
      assertThat(v.outcome()).isEqualTo(ReceiverOutcome.ACCEPT);
      assertThat(v.fired()).isEmpty();
    });
    assertThat(STANDARD.judge(v4(Set.of(), "mail.example.com", "mail.example.com")).refusing()).isEmpty();
  }

  @Test
  void noPtrIsRefusedByTheMailboxProvidersAndScoredByTheFilters() {
    ReceiverFacts f = v4(Set.of("ptr.missing"), null, "mail.example.com");
    Map<String, ReceiverVerdict> m = byProfile(f);
    assertThat(m.get("gmail").outcome().text()).isEqualTo("reject 550 5.7.25");
    assertThat(m.get("gmail").fired().get(0).reply()).hasValueSatisfying(r -> assertThat(r).contains("PTR record"));
    assertThat(m.get("postfix").outcome().text()).isEqualTo("tempfail 450 4.7.1");
    assertThat(fired(m.get("postfix"))).containsExactly("reject_unknown_reverse_client_hostname", "reject_unknown_client_hostname");
    assertThat(m.get("postfix").fired().get(0).reply()).hasValue("Client host rejected: cannot find your reverse hostname, [192.0.2.10]");
    assertThat(m.get("spamassassin").outcome().text()).isEqualTo("spam-score +2.399");
    assertThat(m.get("rspamd").outcome().text()).isEqualTo("spam-score +3.5");
    assertThat(fired(m.get("rspamd"))).containsExactly("HFILTER_HOSTNAME_UNKNOWN", "RDNS_NONE");
    assertThat(STANDARD.judge(f).refusing()).containsExactly("gmail", "microsoft", "yahoo", "postfix");
  }

  @Test
  void ipv6WithoutPtrNamesTheV6RulesAndLabels() {
    ReceiverFacts f = new ReceiverFacts(true, "2001:db8::25", Set.of("ptr.missing"), Optional.empty(), "mail.example.com");
    Map<String, ReceiverVerdict> m = byProfile(f);
    assertThat(m.get("gmail").outcome().text()).isEqualTo("reject 550 5.7.1");
    assertThat(m.get("microsoft").outcome().text()).isEqualTo("tempfail 450 4.7.25");
    assertThat(m.get("microsoft").fired().get(0).reply()).hasValueSatisfying(r -> assertThat(r).contains("[2001:db8::25]"));
    assertThat(STANDARD.judge(f).refusing()).contains("gmail-v6", "microsoft-v6");
  }

  @Test
  void aForwardMismatchIsNotAMissingPtr() {
    Map<String, ReceiverVerdict> m = byProfile(v4(Set.of("fcrdns.mismatch"), null, "mail.example.com"));
    assertThat(fired(m.get("postfix"))).containsExactly("reject_unknown_client_hostname");
    assertThat(fired(m.get("rspamd"))).containsExactly("HFILTER_HOSTNAME_UNKNOWN");
    assertThat(m.get("gmail").outcome().kind()).isEqualTo(ReceiverOutcome.Kind.REJECT);
  }

  private static ReceiverFacts temporary(String verifiedPtr, String helo, Lookup... failed) {
    return new ReceiverFacts(false, "192.0.2.10", Set.of("dns.temporary"), Optional.ofNullable(verifiedPtr), helo, Set.of(failed));
  }

  @Test
  void aTemporaryDnsFailureIsATempfailNeverAReject() {
    Map<String, ReceiverVerdict> m = byProfile(temporary(null, "mail.example.com", Lookup.PTR));
    assertThat(m.get("gmail").outcome().text()).isEqualTo("tempfail 421 4.7.23");
    // as Postfix answers a SERVFAIL or timeout of the PTR lookup (PostfixReceiversLabIT)
    assertThat(fired(m.get("postfix"))).containsExactly("reject_unknown_reverse_client_hostname (temporary DNS failure)",
        "reject_unknown_client_hostname (temporary DNS failure)");
    assertThat(m.get("postfix").outcome().text()).isEqualTo("tempfail 450 4.7.1");
    assertThat(m.get("yahoo").outcome()).isEqualTo(ReceiverOutcome.ACCEPT);
  }

  @Test
  void whichLookupFailedDecidesWhichPostfixRestrictionDefers() {
    assertThat(fired(byProfile(temporary(null, "mail.example.com", Lookup.PTR_FORWARD)).get("postfix")))
        .containsExactly("reject_unknown_client_hostname (temporary DNS failure)");
    Map<String, ReceiverVerdict> ehlo = byProfile(temporary("mail.example.com", "other.example.com", Lookup.EHLO));
    assertThat(fired(ehlo.get("postfix"))).containsExactly("reject_unknown_helo_hostname (temporary DNS failure)");
    assertThat(ehlo.get("postfix").fired().get(0).reply()).hasValue("<other.example.com>: Helo command rejected: Host not found");
    // the receivers that judge the PTR only do not care about the EHLO name's lookup
    assertThat(ehlo.get("gmail").outcome()).isEqualTo(ReceiverOutcome.ACCEPT);
    // rspamd reads a failed EHLO lookup as no record, and looks the PTR up itself (as ReceiverMatrixValidationIT shows)
    assertThat(fired(ehlo.get("rspamd"))).containsExactly("HFILTER_HELO_NORES_A_OR_MX", "HFILTER_HELO_IP_A");
    assertThat(fired(byProfile(temporary(null, "mail.example.com", Lookup.PTR_FORWARD)).get("rspamd")))
        .containsExactly("HFILTER_HOSTNAME_UNKNOWN");
    assertThat(fired(byProfile(temporary(null, "mail.example.com", Lookup.PTR)).get("rspamd")))
        .containsExactly("HFILTER_HOSTNAME_UNKNOWN", "RDNS_NONE", "RDNS_DNSFAIL");
    // facts that do not say which lookup failed: dns.temporary stands for every lookup
    assertThat(fired(byProfile(v4(Set.of("dns.temporary"), null, "mail.example.com")).get("postfix"))).hasSize(3);
  }

  @Test
  void postfixLooksUpEveryUnusableEhloNameButLocalhostAndAddressLiterals() {
    assertThat(fired(byProfile(v4(Set.of("ehlo.invalid"), "mail.example.com", "box")).get("postfix")))
        .containsExactly("reject_non_fqdn_helo_hostname", "reject_unknown_helo_hostname");
    assertThat(fired(byProfile(v4(Set.of("ehlo.invalid"), "mail.example.com", "bad_name.example.com")).get("postfix")))
        .containsExactly("reject_unknown_helo_hostname");
    assertThat(fired(byProfile(v4(Set.of("ehlo.invalid"), "mail.example.com", "localhost")).get("postfix")))
        .containsExactly("reject_non_fqdn_helo_hostname");
    assertThat(fired(byProfile(v4(Set.of("ehlo.invalid"), "mail.example.com", "[192.0.2.10]")).get("postfix"))).isEmpty();
    // Postfix's DNS client refuses the trailing dot that ptrguard (and the DNS) accept
    assertThat(fired(byProfile(v4(Set.of(), "mail.example.com", "mail.example.com.")).get("postfix")))
        .containsExactly("reject_unknown_helo_hostname (trailing dot)");
    assertThat(fired(byProfile(v4(Set.of("ehlo.invalid"), "mail.example.com", "192.0.2.10")).get("postfix")))
        .containsExactly("reject_non_fqdn_helo_hostname", "reject_unknown_helo_hostname");
  }

  @Test
  void aBareHeloNameIsRefusedByPostfixAndScoredByBothFilters() {
    ReceiverFacts f = v4(Set.of("ehlo.invalid", "ehlo.ptr-mismatch"), "mail.example.com", "mail");
    Map<String, ReceiverVerdict> m = byProfile(f);
    assertThat(m.get("postfix").outcome().text()).isEqualTo("reject 504 5.5.2");
    assertThat(m.get("postfix").fired().get(0).reply()).hasValue("<mail>: Helo command rejected: need fully-qualified hostname");
    assertThat(fired(m.get("spamassassin"))).containsExactly("FSL_HELO_NON_FQDN_1", "HELO_NO_DOMAIN", "KHOP_HELO_FCRDNS");
    assertThat(m.get("spamassassin").outcome().score()).isEqualTo(4.361, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(fired(m.get("rspamd"))).containsExactly("HFILTER_HELO_5");
  }

  @Test
  void aDynamicLookingPtrIsScoredButAStaticOneIsNot() {
    assertThat(fired(byProfile(v4(Set.of("ptr.generic"), "dhcp-192-0-2-10.dyn.example.net", "dhcp-192-0-2-10.dyn.example.net")).get("spamassassin")))
        .contains("RDNS_DYNAMIC", "HELO_DYNAMIC_DHCP");
    assertThat(fired(byProfile(v4(Set.of("ptr.generic"), "static-192-0-2-10.example.net", "static-192-0-2-10.example.net")).get("spamassassin")))
        .isEmpty();
    assertThat(byProfile(v4(Set.of("ptr.generic"), "static-192-0-2-10.example.net", "static-192-0-2-10.example.net")).get("yahoo").outcome().kind())
        .isEqualTo(ReceiverOutcome.Kind.REJECT);
  }

  // ---- data that does not parse

  private static String one(String rule) {
    return "profiles = [ { id = x, title = X, scoring = false, rules = [ " + rule + " ] } ]";
  }

  @Test
  void aNewRuleIsADataChange() {
    ReceiverProfiles p = ReceiverProfiles.parse(one("{ name = r, source = s, when { any-finding = [ptr.generic] }, "
        + "outcome = \"reject 554 5.7.1\", reply = \"go away {ip}\" }"), "test");
    ReceiverVerdict v = p.judge(v4(Set.of("ptr.generic"), "a.example.net", "a.example.net")).rows().get(0);
    assertThat(v.outcome().text()).isEqualTo("reject 554 5.7.1");
    assertThat(v.fired().get(0).reply()).hasValue("go away 192.0.2.10");
    assertThat(p.judge(v4(Set.of(), "a.example.net", "a.example.net")).rows().get(0).outcome()).isEqualTo(ReceiverOutcome.ACCEPT);
  }

  @Test
  void brokenDataIsAClearErrorNamingThePlace() {
    assertThatThrownBy(() -> ReceiverProfiles.parse("profiles = [ {", "test.conf"))
        .isInstanceOf(ReceiverProfilesException.class).hasMessageContaining("do not parse").hasMessageContaining("test.conf");
    assertThatThrownBy(() -> ReceiverProfiles.parse("other = 1", "test.conf"))
        .isInstanceOf(ReceiverProfilesException.class).hasMessageContaining("profiles is missing");
    assertThatThrownBy(() -> ReceiverProfiles.parse(one("{ name = r, source = s, when {}, outcome = \"rejct 550\" }"), "t"))
        .hasMessageContaining("profiles[0].rules[0] (r): outcome 'rejct 550' is not one of");
    assertThatThrownBy(() -> ReceiverProfiles.parse(one("{ name = r, source = s, when {}, outcome = \"reject 450\" }"), "t"))
        .hasMessageContaining("a reject needs a 5xx code");
    assertThatThrownBy(() -> ReceiverProfiles.parse(one("{ name = r, source = s, when { helo-matches = \"(\" }, outcome = accept }"), "t"))
        .hasMessageContaining("helo-matches is not a valid regular expression");
    assertThatThrownBy(() -> ReceiverProfiles.parse(one("{ name = r, source = s, when { temporary-lookup = [mx] }, outcome = accept }"), "t"))
        .hasMessageContaining("temporary-lookup: 'mx' is not a lookup (ptr, ptr-forward, ehlo)");
    assertThatThrownBy(() -> ReceiverProfiles.parse(one("{ name = r, source = s, when { famly = ipv4 }, outcome = accept }"), "t"))
        .hasMessageContaining("unknown key 'famly'");
    assertThatThrownBy(() -> ReceiverProfiles.parse(one("{ name = r, when {}, outcome = accept }"), "t"))
        .hasMessageContaining("(r): source is missing");
    assertThatThrownBy(() -> ReceiverProfiles.parse(one("{ name = r, source = s, when { any-finding = [\"no PTR\"] }, outcome = accept }"), "t"))
        .hasMessageContaining("'no PTR' is not a finding code");
    assertThatThrownBy(() -> ReceiverProfiles.parse(one("{ name = r, source = s, when { family = ipv5 }, outcome = accept }"), "t"))
        .hasMessageContaining("family 'ipv5'");
    assertThatThrownBy(() -> ReceiverProfiles.parse(one("{ name = r, source = s, when {}, outcome = \"spam-score +1\" }"), "t"))
        .hasMessageContaining("non-scoring profile");
    assertThatThrownBy(() -> ReceiverProfiles.parse(one("{ name = r, source = s, when { verified-ptr = maybe }, outcome = accept }"), "t"))
        .hasMessageContaining("verified-ptr");
    String twice = "profiles = [ { id = x, title = X, scoring = false, rules = [] }, { id = x, title = Y, scoring = false, rules = [] } ]";
    assertThatThrownBy(() -> ReceiverProfiles.parse(twice, "t")).hasMessageContaining("id 'x' is used twice");
  }
}
