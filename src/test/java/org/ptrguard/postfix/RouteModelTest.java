package org.ptrguard.postfix;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.postfix.Route.Family;
import org.ptrguard.postfix.Route.Reach;

/** The route model from a configuration directory read by the real postconf and postmap (no Postfix running). */
class RouteModelTest {
  @TempDir Path dir;

  private RouteModel discover(String mainCf, String masterCf, List<IdentityOverride> overrides) throws Exception {
    Files.writeString(dir.resolve("main.cf"), "compatibility_level = 3.6\nmyhostname = mx.example.org\n" + mainCf);
    Files.writeString(dir.resolve("master.cf"), """
        smtp      unix  -       -       n       -       -       smtp
        relay     unix  -       -       n       -       -       smtp
        local     unix  -       n       n       -       -       local
        virtual   unix  -       n       n       -       -       virtual
        lmtp      unix  -       -       n       -       -       lmtp
        """ + masterCf);
    return new RouteDiscovery(PostfixTools.forInstance(Optional.of(dir))).discover(overrides);
  }

  @Test
  void serviceOverridesGiveEachRouteItsOwnIdentity() throws Exception {
    RouteModel model = discover("""
        inet_protocols = ipv4
        smtp_bind_address = 192.0.2.10
        sender_dependent_default_transport_maps = inline:{ {@news.example.org = smtp-news:} }
        """, """
        smtp-news unix  -       -       n       -       -       smtp
          -o smtp_bind_address=192.0.2.20
          -o smtp_helo_name=news.example.org
        """, List.of());
    assertThat(model.problems()).isEmpty();
    Route news = model.routes().stream().filter(r -> r.service().equals("smtp-news")).findFirst().orElseThrow();
    assertThat(news.reach()).isEqualTo(Reach.DIRECT);
    assertThat(news.selection().key()).contains("@news.example.org");
    var id = news.identity(Family.IPV4).orElseThrow();
    assertThat(id.address().orElseThrow().getHostAddress()).isEqualTo("192.0.2.20");
    assertThat(id.addressSource()).isEqualTo("master.cf smtp-news/unix -o smtp_bind_address");
    assertThat(id.ehlo()).isEqualTo("news.example.org");
    Route def = model.routes().get(0);
    assertThat(def.service()).isEqualTo("smtp");
    assertThat(def.identity(Family.IPV4).orElseThrow().addressSource()).isEqualTo("main.cf smtp_bind_address");
    assertThat(def.identity(Family.IPV4).orElseThrow().ehlo()).isEqualTo("mx.example.org");

    assertThat(model.lookup("smtp-news", "example.net", "example.net").identities()).containsExactlyElementsOf(news.identities());
    assertThat(model.lookup("smtp-news", "[relay.example.net]:587", "example.net").reach()).isEqualTo(Reach.RELAYED);
    assertThat(model.lookup("local", "mx.example.org", "mx.example.org").reach()).isEqualTo(Reach.LOCAL);
    assertThat(model.lookup("lmtp", "unix:private/dovecot", "example.org").reach()).isEqualTo(Reach.LOCAL);
    Route unknown = model.lookup("smtp-typo", "example.net", "example.net");
    assertThat(unknown.reach()).isEqualTo(Reach.UNKNOWN);
    assertThat(unknown.problems()).singleElement().asString().contains("smtp-typo").contains("not a service in master.cf");
  }

  @Test
  void relayhostRoutesAreRelayedAndNatOverridesApply() throws Exception {
    RouteModel model = discover("""
        inet_protocols = ipv4
        smtp_bind_address = 10.0.0.5
        relayhost = [smtp.example.net]:587
        """, "", List.of(new IdentityOverride("nat", List.of(org.ptrguard.net.IpLiterals.parse("198.51.100.7").orElseThrow()),
            Optional.empty(), List.of(), List.of())));
    Route def = model.routes().get(0);
    assertThat(def.reach()).isEqualTo(Reach.RELAYED);
    assertThat(def.nexthop().text()).isEqualTo("[smtp.example.net]:587");
    assertThat(def.nexthop().kind()).isEqualTo(Route.Nexthop.Kind.RELAYHOST);
    var id = model.service("smtp").orElseThrow().identities().get(0);
    assertThat(id.address().orElseThrow().getHostAddress()).isEqualTo("198.51.100.7");
    assertThat(id.addressSource()).contains("identity 'nat'").contains("10.0.0.5");
  }

  /** transport(5) order with recipient_delimiter and parent-style matching, through a hash table built by postmap. */
  @Test
  void transportLookupOrderFollowsTransport5() throws Exception {
    Path table = dir.resolve("transport");
    Files.writeString(table, String.join("\n",
        "user+tag@example.com  smtp-a:",
        "user@example.com      smtp-b:",
        "example.com           smtp-c:",
        "*                     smtp-d:", ""));
    var built = new ProcessBuilder("postmap", "hash:" + table).redirectErrorStream(true).start();
    assertThat(built.waitFor()).isZero();
    String services = """
        smtp-a unix - - n - - smtp
        smtp-b unix - - n - - smtp
        smtp-c unix - - n - - smtp
        smtp-d unix - - n - - smtp
        """;
    RouteModel model = discover("inet_protocols = ipv4\nrecipient_delimiter = +\ntransport_maps = hash:" + table
        + "\nparent_domain_matches_subdomains = transport_maps\n", services, List.of());
    RouteExplainer explainer = new RouteExplainer(model, new Tables(PostfixTools.forInstance(Optional.of(dir))));
    assertThat(explainer.explain("", "User+Tag@Example.com").route().service()).isEqualTo("smtp-a");
    assertThat(explainer.explain("", "user+other@example.com").route().service()).isEqualTo("smtp-b");
    assertThat(explainer.explain("", "someone@example.com").route().service()).isEqualTo("smtp-c");
    // parent style: "example.com" also matches its subdomains, looked up as "example.com", not ".example.com"
    var sub = explainer.explain("", "x@mx.sub.example.com");
    assertThat(sub.route().service()).isEqualTo("smtp-c");
    assertThat(sub.lookups().stream().map(RouteExplainer.Lookup::key))
        .containsExactly("x@mx.sub.example.com", "mx.sub.example.com", "sub.example.com", "example.com");
    assertThat(explainer.explain("", "x@example.net").route().service()).isEqualTo("smtp-d");
    // the null sender is looked up in sender tables by its key, and nothing here picks a route by sender
    assertThat(explainer.explain("", "x@example.net").lookups()).noneMatch(l -> l.parameter().startsWith("sender"));
  }

  @Test
  void aMissingPostconfIsAProblemNotACrash() {
    PostfixTools tools = new PostfixTools(Optional.of(dir), "/nonexistent/postconf", "/nonexistent/postmap",
        java.time.Duration.ofSeconds(5));
    RouteModel model = new RouteDiscovery(tools).discover(List.of());
    assertThat(model.unavailable()).get().asString().contains("cannot run /nonexistent/postconf");
    assertThat(model.routes()).isEmpty();
  }

  @Test
  void postconfFailingMakesEveryRouteUnknown() {
    RouteModel model = new RouteDiscovery(PostfixTools.forInstance(Optional.of(dir.resolve("missing")))).discover(List.of());
    assertThat(model.unavailable()).isPresent();
    assertThat(model.problems()).singleElement().asString().contains("postconf").contains("main.cf");
    assertThat(model.lookup("smtp", "example.net", "example.net").reach()).isEqualTo(Reach.UNKNOWN);
  }
}
