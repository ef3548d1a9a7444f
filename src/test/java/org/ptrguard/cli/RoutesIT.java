package org.ptrguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.postfix.PostfixTools;
import org.ptrguard.postfix.Route.Reach;
import org.ptrguard.postfix.Route;
import org.ptrguard.postfix.RouteDiscovery;
import org.ptrguard.postfix.RouteExplainer;
import org.ptrguard.postfix.RouteWatcher;
import org.ptrguard.testing.FreePorts;
import org.ptrguard.testing.PrivatePostfix;
import org.ptrguard.testing.ProcessResult;
import org.ptrguard.testing.PtrguardProcess;
import org.ptrguard.testing.SmtpSink;
import org.ptrguard.testing.TestDnsServer;

/**
 * {@code ptrguard routes}, {@code route} and {@code check} against real private Postfix instances:
 * master.cf services with -o smtp_bind_address/smtp_helo_name, transport_maps (hash built with
 * postmap, regexp, inline), sender_dependent_default_transport_maps, a bracketed relay nexthop, local,
 * virtual and LMTP routes (instance "multi"); relayhost, sender_dependent_relayhost_maps and a NAT
 * override (instance "relayed"). Identities are judged by the test DNS server (203.0.113.10 and .20
 * have forward-confirmed PTRs, .13 has none).
 */
class RoutesIT {
  static TestDnsServer dns;
  static SmtpSink sink;
  static PrivatePostfix multi;
  static PrivatePostfix relayed;
  static Path tables;
  static RelayListener relayListener;
  static int closedPort;
  @TempDir Path dir;

  /** A real listening socket on loopback standing for a relay: records who connected, says nothing. */
  static final class RelayListener implements AutoCloseable {
    final java.net.ServerSocket socket;
    final List<java.net.InetAddress> peers = new java.util.concurrent.CopyOnWriteArrayList<>();
    final Thread acceptor;

    RelayListener() throws IOException {
      socket = new java.net.ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"));
      acceptor = new Thread(() -> {
        while (!socket.isClosed()) {
          try (java.net.Socket s = socket.accept()) {
            peers.add(s.getInetAddress());
          } catch (IOException e) {
            // closed
          }
        }
      }, "relay-listener");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  record Run(int exit, String out, String err) {}

  @BeforeAll
  static void start() throws IOException {
    dns = TestDnsServer.start()
        .zoneResource("example.org", "examples/example.org.zone")
        .zoneResource("113.0.203.in-addr.arpa", "examples/113.0.203.in-addr.arpa.zone");
    sink = SmtpSink.start();
    // 2001:db8::/32's reverse zone exists, and has no PTR for smtp-pref's IPv6 address
    Path v6Reverse = Files.createTempFile("ptrguard-routes-it-", ".zone");
    v6Reverse.toFile().deleteOnExit();
    Files.writeString(v6Reverse, String.join("\n", "$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.", "$TTL 300",
        "@ IN SOA ns.example.org. hostmaster.example.org. ( 1 60 60 600 60 )", "@ IN NS ns.example.org.", ""));
    dns.zone("8.b.d.0.1.0.0.2.ip6.arpa", v6Reverse);
    tables = Files.createTempDirectory("ptrguard-routes-it-");
    tables.toFile().setReadable(true, false);
    tables.toFile().setExecutable(true, false);
    writeTransport("relay.example.net  smtp-relay:[127.0.0.1]:" + sink.port());
    Files.writeString(tables.resolve("transport.re"), "/^alerts@example\\.net$/  smtp-news:\n");
    multi = PrivatePostfix.builder("routes-multi")
        .parameter("smtp_bind_address", "203.0.113.10")
        .parameter("smtp_helo_name", "mail.example.org")
        .parameter("sender_dependent_default_transport_maps", "inline:{ {@news.example.org = smtp-news:} }")
        .parameter("transport_maps", "hash:" + tables.resolve("transport") + ", regexp:" + tables.resolve("transport.re")
            + ", inline:{ {partner.example.com = smtp-broken:} }")
        .parameter("mydestination", "$myhostname, localhost")
        .parameter("virtual_mailbox_domains", "mailbox.example.org")
        .parameter("virtual_alias_domains", "alias.example.org")
        .masterCfLine("smtp-news unix - - n - - smtp -o smtp_bind_address=203.0.113.20 -o smtp_helo_name=news.example.org")
        .masterCfLine("smtp-broken unix - - n - - smtp -o smtp_bind_address=203.0.113.13 -o smtp_helo_name=mail.example.org")
        .masterCfLine("smtp-relay unix - - n - - smtp")
        .masterCfLine("smtp-pref unix - - n - - smtp -o inet_protocols=all -o smtp_bind_address6=2001:db8::13"
            + " -o smtp_address_preference=ipv4")
        .masterCfLine("local unix - n n - - local")
        .masterCfLine("virtual unix - n n - - virtual")
        .masterCfLine("lmtp unix - - n - - lmtp")
        .build().start();
    // the relays: smtp.example.net and the MX of relay.example.net are this listener; the
    // sender-dependent relay is a closed loopback port; nowhere.example.net does not exist
    relayListener = new RelayListener();
    closedPort = FreePorts.next();
    Path netZone = tables.resolve("example.net.zone");
    Files.writeString(netZone, String.join("\n",
        "$ORIGIN example.net.", "$TTL 300",
        "@     IN SOA ns.example.net. hostmaster.example.net. ( 1 60 60 600 60 )",
        "@     IN NS  ns.example.net.", "ns    IN A   127.0.0.1",
        "smtp  IN A   127.0.0.1", "relay IN MX  10 mx1.example.net.", "mx1   IN A   127.0.0.1", ""));
    dns.zone("example.net", netZone);
    relayed = PrivatePostfix.builder("routes-relayed")
        .parameter("relayhost", "[smtp.example.net]:" + relayListener.port())
        .parameter("sender_dependent_relayhost_maps", "inline:{ {@example.com = [127.0.0.1]:" + closedPort + "} }")
        .parameter("transport_maps", "inline:{ {direct.example.com = smtp-direct:}, "
            + "{gone.example.com = smtp-bound:[nowhere.example.net]:25}, "
            + "{viamx.example.com = smtp-bound:relay.example.net:" + relayListener.port() + "} }")
        .masterCfLine("smtp-direct unix - - n - - smtp -o smtp_bind_address=192.0.2.99 -o smtp_helo_name=mail.example.org")
        .masterCfLine("smtp-bound unix - - n - - smtp -o smtp_bind_address=127.0.0.2 -o inet_protocols=ipv4")
        .skipStartProbe()
        .build();
  }

  static void writeTransport(String relayLine) throws IOException {
    Files.writeString(tables.resolve("transport"), String.join("\n",
        "lmtp.example.org   lmtp:unix:private/dovecot-lmtp",
        relayLine,
        ".sub.example.com   smtp-news:",
        "pref.example.com   smtp-pref:",
        "typo.example.com   smtp-typo:", ""));
    ProcessResult r = org.ptrguard.testing.Commands.run(Duration.ofSeconds(30),
        List.of("postmap", "hash:" + tables.resolve("transport")), java.util.Map.of(), null);
    assertThat(r.ok()).as(r.describe()).isTrue();
  }

  @AfterAll
  static void stop() throws IOException {
    for (AutoCloseable c : new AutoCloseable[] {multi, relayed, sink, dns, relayListener}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // keep closing the rest
      }
    }
    org.ptrguard.testing.TestFiles.deleteTree(tables);
  }

  Path conf(String extra) throws IOException {
    Path conf = dir.resolve("ptrguard.conf");
    Files.writeString(conf, "dns { resolvers = [\"127.0.0.1:" + dns.address().getPort() + "\"], timeout = 1500ms }\n" + extra);
    return conf;
  }

  static Run run(boolean routes, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    int exit = routes ? RoutesCommand.routes(args, o, e, false) : RoutesCommand.route(args, o, e);
    return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static String routeJson(String json, String service, String kind) {
    return org.ptrguard.testing.RouteJson.route(json, service, kind);
  }

  @Test
  void routesListsEveryRouteWithSelectionIdentityAndVerdict() throws Exception {
    Run r = run(true, "--config", conf("").toString(), "--postfix-config", multi.configDir().toString(), "--json");
    assertThat(r.exit()).as(r.err() + r.out()).isEqualTo(2);
    String json = r.out().strip();
    assertThat(json).startsWith("{\"verdict\":\"fail\"");
    assertThat(routeJson(json, "smtp", "default-transport"))
        .contains("\"reach\":\"direct\"", "\"verdict\":\"pass\"", "\"ip\":\"203.0.113.10\"",
            "\"ip_source\":\"main.cf smtp_bind_address\"", "\"ehlo\":\"mail.example.org\"",
            "\"ehlo_source\":\"main.cf smtp_helo_name\"", "\"ptr\":[\"mail.example.org\"]");
    assertThat(routeJson(json, "smtp-news", "sender-dependent-default-transport"))
        .contains("\"key\":\"@news.example.org\"", "\"reach\":\"direct\"", "\"ip\":\"203.0.113.20\"",
            "\"ip_source\":\"master.cf smtp-news/unix -o smtp_bind_address\"",
            "\"ehlo_source\":\"master.cf smtp-news/unix -o smtp_helo_name\"", "\"verdict\":\"pass\"");
    assertThat(routeJson(json, "smtp-broken", "transport-map"))
        .contains("\"table\":\"inline:{ {partner.example.com = smtp-broken:} }\"", "\"key\":\"partner.example.com\"",
            "\"ip\":\"203.0.113.13\"", "\"verdict\":\"fail\"", "\"code\":\"ptr.missing\"", "\"fix\":",
            // the receiver matrix of the broken identity: Postfix's reverse-hostname restriction among the rest
            "\"receiver\":\"gmail\",\"profile\":\"gmail\",\"title\":\"Gmail\",\"outcome\":\"reject\",\"code\":\"550 5.7.25\"",
            "{\"name\":\"reject_unknown_reverse_client_hostname\",\"outcome\":\"tempfail\",\"code\":\"450 4.7.1\"");
    assertThat(routeJson(json, "smtp-relay", "transport-map"))
        .contains("\"key\":\"relay.example.net\"", "\"reach\":\"relayed\"", "\"verdict\":\"not-judged\"",
            "\"text\":\"[127.0.0.1]:" + sink.port() + "\"", "\"identities\":[]");
    assertThat(routeJson(json, "lmtp", "transport-map"))
        .contains("\"kind\":\"lmtp\"", "\"reach\":\"local\"", "\"identities\":[]");
    assertThat(routeJson(json, "smtp-news", "transport-map")).contains("\"key\":\".sub.example.com\"");
    assertThat(routeJson(json, "local", "local-transport")).contains("\"reach\":\"local\"");
    assertThat(routeJson(json, "virtual", "virtual-transport")).contains("\"reach\":\"local\"", "mailbox.example.org");
    assertThat(routeJson(json, "smtp-typo", "transport-map")).contains("\"reach\":\"unknown\"", "\"verdict\":\"unknown\"",
        "transport 'smtp-typo'", "is not a service in master.cf");
    // the regexp table cannot be listed: said so, and every smtp service it might pick is judged anyway
    assertThat(json).contains("transport_maps: table regexp:" + tables.resolve("transport.re") + " cannot be listed");
    assertThat(json).contains("virtual_alias_domains (alias.example.org)");

    Run text = run(true, "--config", conf("").toString(), "--postfix-config", multi.configDir().toString());
    assertThat(text.out()).contains("route smtp-relay -> [127.0.0.1]:" + sink.port() + "  RELAYED")
        .contains("relayed: receivers see the relay's identity, not this host's")
        .contains("FAIL ptr.missing: no PTR record for 203.0.113.13")
        .contains("overall: FAIL (exit 2");
    assertThat(text.out().lines()).isNotEmpty().allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(80));
  }

  @Test
  void routeExplainsEachRecipientWithItsLookups() throws Exception {
    List<String> args = new ArrayList<>(List.of("--config", conf("").toString(), "--postfix-config",
        multi.configDir().toString(), "--json", "--sender", "letters@news.example.org"));
    for (String rcpt : List.of("bob@example.net", "x@deep.sub.example.com", "alerts@example.net", "u@lmtp.example.org",
        "someone@relay.example.net", "root@" + multi.myhostname(), "u@mailbox.example.org", "a@alias.example.org",
        "p@partner.example.com")) {
      args.addAll(List.of("--rcpt", rcpt));
    }
    Run r = run(false, args.toArray(String[]::new));
    assertThat(r.exit()).as(r.err()).isZero();
    String[] each = r.out().strip().split("\\{\"recipient\":");
    assertThat(each).hasSize(10);
    assertThat(each[1]).contains("\"address_class\":\"default\"",
        "{\"parameter\":\"sender_dependent_default_transport_maps\",\"table\":\"inline:{ {@news.example.org = smtp-news:} }\","
            + "\"key\":\"letters@news.example.org\",\"result\":null",
        "\"key\":\"@news.example.org\",\"result\":\"smtp-news:\"",
        "\"key\":\"example.net\",\"result\":null", "\"key\":\"*\",\"result\":null",
        "\"service\":\"smtp-news\"", "\"kind\":\"sender-dependent-default-transport\"", "\"reach\":\"direct\"",
        "\"ip\":\"203.0.113.20\"");
    assertThat(each[2]).contains("\"key\":\"deep.sub.example.com\",\"result\":null",
        "\"key\":\".sub.example.com\",\"result\":\"smtp-news:\"", "\"kind\":\"transport-map\"", "\"service\":\"smtp-news\"");
    assertThat(each[3]).contains("\"table\":\"regexp:" + tables.resolve("transport.re") + "\",\"key\":\"alerts@example.net\","
        + "\"result\":\"smtp-news:\"");
    assertThat(each[4]).contains("\"service\":\"lmtp\"", "\"reach\":\"local\"", "\"kind\":\"lmtp\"");
    assertThat(each[5]).contains("\"service\":\"smtp-relay\"", "\"reach\":\"relayed\"",
        "\"text\":\"[127.0.0.1]:" + sink.port() + "\"");
    assertThat(each[6]).contains("\"address_class\":\"local\"", "\"service\":\"local\"", "\"reach\":\"local\"");
    assertThat(each[7]).contains("\"address_class\":\"virtual\"", "\"service\":\"virtual\"");
    assertThat(each[8]).contains("\"address_class\":\"virtual-alias\"", "rewrites the address");
    assertThat(each[9]).contains("\"service\":\"smtp-broken\"", "\"ip\":\"203.0.113.13\"");

    // A sender without a sender-dependent entry takes default_transport.
    Run plain = run(false, "--config", conf("").toString(), "--postfix-config", multi.configDir().toString(),
        "--sender", "alice@example.org", "--rcpt", "bob@example.net");
    assertThat(plain.out()).contains("lookup  sender_dependent_default_transport_maps inline:{...} key @example.org -> not found")
        .contains("route   smtp -> MX of the recipient domain [direct] selected by default_transport");
  }

  /** Postfix's own delivery agrees with the explanation for the relayed recipient. */
  @Test
  void postfixDeliversTheRelayedRecipientWhereRouteSaysItGoes() throws Exception {
    var mark = multi.mark();
    ProcessResult sent = multi.sendmail("alice@example.org", List.of("someone@relay.example.net"),
        "Subject: routes-it-relay\n\nhello\n");
    assertThat(sent.ok()).as(sent.describe()).isTrue();
    String line = multi.waitForLog(mark, "to=<someone@relay.example.net>.*status=sent", Duration.ofSeconds(30));
    assertThat(line).contains("relay=127.0.0.1[127.0.0.1]:" + sink.port());
    assertThat(sink.messages()).anyMatch(m -> m.contains("Subject: routes-it-relay"));
  }

  @Test
  void aRebuiltTableMovesRecipientsToTheNewRoute() throws Exception {
    RouteDiscovery discovery = new RouteDiscovery(PostfixTools.forInstance(Optional.of(multi.configDir())));
    try (RouteWatcher watcher = new RouteWatcher(discovery, List.of()).watch(Duration.ofMillis(200))) {
      var before = watcher.current();
      Route r1 = new RouteExplainer(before, discovery.tables()).explain("a@example.org", "someone@relay.example.net").route();
      assertThat(r1.service()).isEqualTo("smtp-relay");
      assertThat(r1.reach()).isEqualTo(Reach.RELAYED);
      try {
        // the file changes (postmap rewrites transport.db); no reload, no SIGHUP
        writeTransport("relay.example.net  smtp-broken:");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (watcher.current() == before && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        assertThat(watcher.current()).as("model rebuilt after postmap").isNotSameAs(before);
        Route r2 = new RouteExplainer(watcher.current(), discovery.tables())
            .explain("a@example.org", "someone@relay.example.net").route();
        assertThat(r2.service()).isEqualTo("smtp-broken");
        assertThat(r2.reach()).isEqualTo(Reach.DIRECT);
        assertThat(r2.identities().get(0).address().orElseThrow().getHostAddress()).isEqualTo("203.0.113.13");
        assertThat(watcher.current().routes()).anyMatch(r -> r.service().equals("smtp-broken")
            && r.selection().key().orElse("").equals("relay.example.net"));
      } finally {
        writeTransport("relay.example.net  smtp-relay:[127.0.0.1]:" + sink.port());
      }
    }
  }

  @Test
  void relayhostRoutesAreNotJudgedAndNatOverridesApply() throws Exception {
    Path conf = conf("identities = [ { name = public, ip = [\"203.0.113.10\"], ehlo = mail.example.org,"
        + " services = [smtp-direct] } ]\n");
    Run r = run(true, "--config", conf.toString(), "--postfix-config", relayed.configDir().toString(), "--json");
    assertThat(r.exit()).as(r.err() + r.out()).isZero();
    String json = r.out().strip();
    assertThat(routeJson(json, "smtp", "default-transport")).contains("\"kind\":\"relayhost\"",
        "\"text\":\"[smtp.example.net]:" + relayListener.port() + "\"", "\"reach\":\"relayed\"",
        "\"verdict\":\"not-judged\"");
    assertThat(routeJson(json, "smtp", "sender-dependent-relayhost")).contains("\"key\":\"@example.com\"",
        "\"text\":\"[127.0.0.1]:" + closedPort + "\"", "\"reach\":\"relayed\"");
    assertThat(routeJson(json, "smtp-direct", "transport-map")).contains("\"reach\":\"direct\"", "\"ip\":\"203.0.113.10\"",
        "identity 'public' (discovered: 192.0.2.99 from master.cf smtp-direct/unix -o smtp_bind_address)",
        "\"override\":\"public\"", "\"verdict\":\"pass\"");

    Run check = checkCommand("--config", conf.toString(), "--postfix-config", relayed.configDir().toString(), "--json");
    assertThat(check.exit()).as(check.err() + check.out()).isZero();
    assertThat(check.out()).contains("{\"name\":\"public\",\"ip\":\"203.0.113.10\"");
  }

  /**
   * Relayed routes: the relay's name is resolved through ptrguard's resolver (bracketed: A/AAAA only;
   * unbracketed: MX first) and a TCP connection is tried, from the service's smtp_bind_address.
   * Reported with a warning and its fix, never a verdict: the exit code stays that of the direct routes.
   */
  @Test
  void relayNamesAndReachabilityAreReportedNotJudged() throws Exception {
    int before = relayListener.peers.size();
    Run r = run(true, "--config", conf("").toString(), "--postfix-config", relayed.configDir().toString(), "--json");
    // the only verdict is smtp-direct's (192.0.2.99: the test DNS refuses its reverse zone): unknown
    assertThat(r.exit()).as(r.err()).isEqualTo(3);
    String json = r.out().strip();
    // relayhost, bracketed: resolves to the listener, a connection opens from the kernel's choice
    assertThat(routeJson(json, "smtp", "default-transport")).contains("\"verdict\":\"not-judged\"",
        "\"relay\":{\"nexthop\":\"[smtp.example.net]:" + relayListener.port() + "\",\"resolves\":true,\"reachable\":true",
        "\"host\":\"smtp.example.net\",\"port\":" + relayListener.port() + ",\"bracketed\":true,\"mx_lookup\":false",
        "\"mx_hosts\":[],\"addresses\":[\"127.0.0.1\"]", "\"source\":null,\"opened\":true", "\"warnings\":[]");
    // the sender-dependent relay: a closed port
    assertThat(routeJson(json, "smtp", "sender-dependent-relayhost")).contains("\"resolves\":true,\"reachable\":false",
        "\"opened\":false", "Connection refused",
        "relay [127.0.0.1]:" + closedPort + " resolves but accepts no TCP connection",
        "will sit in the queue (deferred) until it does", "a firewall blocking outbound port " + closedPort);
    // a transport's bracketed nexthop that does not exist
    String gone = routeJsonWithKey(json, "smtp-bound", "gone.example.com");
    assertThat(gone).contains("\"resolves\":false", "\"reachable\":false", "\"bracketed\":true",
        "\"resolve_problem\":\"nowhere.example.net has no address: NXDOMAIN\"",
        "relay [nowhere.example.net]:25 does not resolve", "will sit in the queue",
        "Fix: check the name in transport_maps");
    // unbracketed: MX lookup first, then the exchanger's address, from smtp-bound's bind address
    String viaMx = routeJsonWithKey(json, "smtp-bound", "viamx.example.com");
    assertThat(viaMx).contains("\"bracketed\":false,\"mx_lookup\":true", "\"mx_hosts\":[\"mx1.example.net\"]",
        "\"addresses\":[\"127.0.0.1\"]", "\"source\":\"127.0.0.2\",\"opened\":true", "\"warnings\":[]");
    // the listener saw that connection come from the bind address (its accept thread may lag a little)
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (relayListener.peers.subList(before, relayListener.peers.size()).stream()
        .noneMatch(a -> a.getHostAddress().equals("127.0.0.2")) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(relayListener.peers.subList(before, relayListener.peers.size()))
        .extracting(java.net.InetAddress::getHostAddress).contains("127.0.0.2");

    Run text = run(true, "--config", conf("").toString(), "--postfix-config", relayed.configDir().toString());
    String flat = text.out().replaceAll("\\s+", " "); // the report wraps at 80 columns
    assertThat(flat)
        .contains(" relay: [smtp.example.net]:" + relayListener.port() + ": host smtp.example.net, port "
            + relayListener.port() + ", bracketed (no MX lookup) resolves: yes: 127.0.0.1 connects: yes: 127.0.0.1:"
            + relayListener.port() + " opened in ")
        .contains(" relay: [127.0.0.1]:" + closedPort + ": host 127.0.0.1, port " + closedPort + ", bracketed (no MX lookup)"
            + " resolves: yes: 127.0.0.1 (address literal) connects: no: 127.0.0.1:" + closedPort + " Connection refused"
            + " warning: relay [127.0.0.1]:" + closedPort + " resolves but accepts no TCP connection")
        .contains("not bracketed (MX lookup first) resolves: yes: MX mx1.example.net 127.0.0.1 connects: yes:")
        .containsPattern("ms from 127\\.0\\.0\\.2 \\(smtp_bind_address\\)")
        .containsPattern("ms from the kernel's source address")
        .contains(" resolves: no: nowhere.example.net has no address: NXDOMAIN warning: relay [nowhere.example.net]:25"
            + " does not resolve");
    assertThat(text.out().lines()).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(80));

    // route: the relay of each recipient's route
    Run route = run(false, "--config", conf("").toString(), "--postfix-config", relayed.configDir().toString(),
        "--sender", "a@example.com", "--rcpt", "bob@example.org", "--rcpt", "x@gone.example.com");
    assertThat(route.out()).contains("route   smtp -> [127.0.0.1]:" + closedPort + " [relayed]")
        .contains("route   smtp-bound -> [nowhere.example.net]:25 [relayed]")
        .contains("  resolves:     no: nowhere.example.net has no address: NXDOMAIN");
    assertThat(route.out().replaceAll("\\s+", " "))
        .contains("relay [127.0.0.1]:" + closedPort + " resolves but accepts no TCP connection");
    Run routeJson = run(false, "--config", conf("").toString(), "--postfix-config", relayed.configDir().toString(),
        "--json", "--rcpt", "bob@example.org");
    assertThat(routeJson.out()).contains("\"relay\":{\"nexthop\":\"[smtp.example.net]:" + relayListener.port()
        + "\",\"resolves\":true,\"reachable\":true");

    // check: a section per relay, never part of the verdict
    Run check = checkCommand("--config", conf("").toString(), "--postfix-config", relayed.configDir().toString());
    assertThat(check.exit()).isEqualTo(3);
    assertThat(check.out().replaceAll("\\s+", " "))
        .contains("relay [127.0.0.1]:" + closedPort + " (service smtp; receivers see the relay's")
        .contains("relay [nowhere.example.net]:25 (service smtp-bound;");
    Run checkJson = checkCommand("--config", conf("").toString(), "--postfix-config", relayed.configDir().toString(),
        "--json");
    assertThat(checkJson.out()).contains("\"relays\":[{\"service\":\"smtp\",\"nexthop\":\"[smtp.example.net]:"
        + relayListener.port() + "\",\"resolves\":true,\"reachable\":true")
        .contains("{\"service\":\"smtp-bound\",\"nexthop\":\"[nowhere.example.net]:25\",\"resolves\":false");
  }

  /**
   * smtp_address_preference = ipv4 with a passing IPv4 identity and a failing IPv6 one: the route is
   * still FAIL (the IPv6 identity is used), and says when it is used and what the guard does about it.
   */
  @Test
  void theAddressPreferenceIsStatedOnTheRoute() throws Exception {
    Run r = run(true, "--config", conf("").toString(), "--postfix-config", multi.configDir().toString(), "--json");
    String pref = routeJson(r.out(), "smtp-pref", "transport-map");
    assertThat(pref).contains("\"address_preference\":\"ipv4\"", "\"verdict\":\"fail\"", "\"ip\":\"2001:db8::13\"",
        "\"preference_note\":\"smtp_address_preference = ipv4 on smtp-pref and its IPv4 identity is healthy: Postfix "
            + "uses the broken IPv6 identity only when IPv4 delivery to a mail exchanger fails, or for a domain whose mail "
            + "exchangers have no IPv4; the guard holds recipients for it only then.");
    // no preference, no note
    assertThat(routeJson(r.out(), "smtp-news", "sender-dependent-default-transport")).contains("\"preference_note\":null");
    Run text = run(true, "--config", conf("").toString(), "--postfix-config", multi.configDir().toString());
    assertThat(text.out().replaceAll("\\s+", " ")).contains("preference: smtp_address_preference = ipv4 on smtp-pref");
  }

  /** A bind address this host does not have: reported as Postfix handles it (warning, then the kernel's address). */
  @Test
  void aBindAddressThisHostLacksIsReportedForTheRelay() throws Exception {
    Run r = run(true, "--config", conf("").toString(), "--postfix-config", multi.configDir().toString(), "--json");
    String relay = routeJson(r.out(), "smtp-relay", "transport-map");
    assertThat(relay).contains("\"reachable\":true", "\"source\":null,\"opened\":true",
        "\"bind_problem\":\"cannot bind to 203.0.113.10: ",
        "Postfix logs a warning and connects from the kernel's source address");
  }

  static String routeJsonWithKey(String json, String service, String key) {
    int at = json.indexOf("\"key\":\"" + key + "\"");
    assertThat(at).as(key + " in " + json).isPositive();
    int start = json.lastIndexOf("{\"service\":\"" + service + "\",", at);
    int end = json.indexOf("{\"service\":", at);
    return json.substring(start, end < 0 ? json.length() : end);
  }

  @Test
  void checkCoversEveryDirectRouteOnceAndExitsWithTheWorst() throws Exception {
    Run r = checkCommand("--config", conf("").toString(), "--postfix-config", multi.configDir().toString(), "--json");
    assertThat(r.exit()).isEqualTo(2);
    String json = r.out();
    assertThat(json).contains("\"ip\":\"203.0.113.10\"", "\"ip\":\"203.0.113.20\"", "\"ip\":\"203.0.113.13\"");
    // smtp-news is selected twice (sender map and .sub.example.com) but checked once
    assertThat(json.split("\"ip\":\"203.0.113.20\"", -1)).hasSize(2);
    assertThat(r.err()).contains("smtp-typo");
  }

  @Test
  void badInputIsAFindingNamingTheParameterNeverACrash() throws Exception {
    Path broken = Files.createTempDirectory(dir, "pf");
    Files.copy(relayed.configDir().resolve("main.cf"), broken.resolve("main.cf"));
    Files.copy(relayed.configDir().resolve("master.cf"), broken.resolve("master.cf"));
    Files.copy(relayed.configDir().resolve("dynamicmaps.cf"), broken.resolve("dynamicmaps.cf"));
    Files.writeString(broken.resolve("main.cf"), "transport_maps = nosuchtype:/etc/postfix/transport\n"
        + "sender_dependent_default_transport_maps = hash:" + dir.resolve("missing") + "\n", java.nio.file.StandardOpenOption.APPEND);
    Run r = run(true, "--config", conf("").toString(), "--postfix-config", broken.toString(), "--json");
    assertThat(r.exit()).as(r.err() + r.out()).isEqualTo(3);
    assertThat(r.out()).contains("transport_maps: table nosuchtype:/etc/postfix/transport cannot be read",
        "unsupported dictionary type: nosuchtype",
        "sender_dependent_default_transport_maps: table hash:" + dir.resolve("missing") + " cannot be read",
        "\"reach\":\"unknown\"");

    Run gone = run(true, "--config", conf("").toString(), "--postfix-config", dir.resolve("nothing").toString());
    assertThat(gone.exit()).isEqualTo(3);
    assertThat(gone.out()).contains("Postfix configuration unreadable").contains("main.cf");
    Run explained = run(false, "--config", conf("").toString(), "--postfix-config", dir.resolve("nothing").toString(),
        "--rcpt", "a@example.net");
    assertThat(explained.exit()).isEqualTo(3);
    assertThat(explained.out()).contains("[unknown]");
  }

  /** An old configuration keeps working, and `ptrguard config` says how each identity lands on the routes. */
  @Test
  void configSaysHowHandWrittenIdentitiesMapOntoRoutes() throws Exception {
    Path conf = conf("""
        identities = [
          { name = default, ip = ["203.0.113.10"], ehlo = mail.example.org }
          { name = news, ip = ["203.0.113.20"], ehlo = news.example.org, senders = ["news.example.org"] }
          { name = ghost, ip = ["203.0.113.13"], ehlo = mail.example.org, services = ["smtp-gone"] }
        ]
        """);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int exit = ConfigCommand.run(new String[] {"--config", conf.toString(), "--postfix-config", multi.configDir().toString()},
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    assertThat(exit).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("#   identity default: overrides address/EHLO of service smtp, relay (default_transport and relay_transport)")
        .contains("#   identity news: overrides address/EHLO of service smtp-news (senders via sender_dependent_default_transport_maps)")
        .contains("#   identity ghost: matches no master.cf service (services); checked as written by ptrguard check");
    // check: the routes with those overrides, plus the unmatched identity as written
    Run check = checkCommand("--config", conf.toString(), "--postfix-config", multi.configDir().toString(), "--json");
    assertThat(check.exit()).isEqualTo(2);
    assertThat(check.out()).contains("{\"name\":\"default\",\"ip\":\"203.0.113.10\"", "{\"name\":\"news\",\"ip\":\"203.0.113.20\"",
        "{\"name\":\"ghost\",\"ip\":\"203.0.113.13\"");
  }

  /** Without --postfix-config the tools honour MAIL_CONFIG, as postconf itself does (multi-instance hosts). */
  @Test
  void theJarHonoursMailConfig() throws Exception {
    ProcessBuilder pb = PtrguardProcess.builder("routes", "--config", conf("").toString(), "--json");
    pb.environment().put("MAIL_CONFIG", multi.configDir().toString());
    Process p = pb.redirectError(ProcessBuilder.Redirect.DISCARD).start();
    p.getOutputStream().close();
    String json = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).isEqualTo(2);
    assertThat(json).contains("\"postfix_config\":\"" + multi.configDir() + "\"");
    assertThat(routeJson(json, "smtp-news", "sender-dependent-default-transport")).contains("\"ip\":\"203.0.113.20\"");
  }

  @Test
  void routesPostfixConfigInTheFileNamesTheInstance() throws Exception {
    Path conf = conf("routes.postfix-config = \"" + relayed.configDir() + "\"\n");
    Run r = run(true, "--config", conf.toString(), "--json");
    assertThat(r.out()).contains("\"postfix_config\":\"" + relayed.configDir() + "\"",
        "\"text\":\"[smtp.example.net]:" + relayListener.port() + "\"");
    // the command line wins over the file
    Run cli = run(true, "--config", conf.toString(), "--postfix-config", multi.configDir().toString(), "--json");
    assertThat(cli.out()).contains("\"postfix_config\":\"" + multi.configDir() + "\"");
  }

  static Run checkCommand(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = CheckCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), false, org.ptrguard.postfix.IdentityDiscovery.system());
    return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
