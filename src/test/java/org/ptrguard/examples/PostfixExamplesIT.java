package org.ptrguard.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.ptrguard.testing.FreePorts;
import org.ptrguard.testing.PrivatePostfix;
import org.ptrguard.testing.ProcessResult;
import org.ptrguard.testing.PtrguardProcess;
import org.ptrguard.testing.RouteJson;
import org.ptrguard.testing.SmtpReply;
import org.ptrguard.testing.SmtpSink;
import org.ptrguard.testing.SmtpTestClient;
import org.ptrguard.testing.TestDnsServer;

/**
 * Every directory under {@code postfix-examples/} applied to a scratch Postfix exactly as an admin
 * pastes it, then one message carried through it with ptrguard (the built jar) consulted.
 *
 * <p>How the snippets are applied: each logical line of {@code main.cf.snippet} is given verbatim to
 * {@code postconf -e}; {@code master.cf.snippet} is appended verbatim to master.cf. Only AFTER that
 * does the test override what cannot be used on a shared test machine, each override listed in the
 * example's test and logged: service names that mean a fixed port (submission, smtp) are renamed to
 * a free loopback port with {@code postconf -M}, the milter's port with {@code postconf -e} or
 * {@code -P}, bind addresses with {@code -P} (loopback 127.0.0.x instead of TEST-NET addresses so the
 * mail really reaches the sink). ptrguard.conf is used as written with a block appended at its end
 * (HOCON: a later key wins) that sets the listen port or socket path, the test DNS server and, where a
 * case needs it, a client range or a broken address.
 */
class PostfixExamplesIT {
  static final Duration TIMEOUT = Duration.ofSeconds(20);
  static final Path EXAMPLES = Path.of("postfix-examples");

  static TestDnsServer dns;
  static SmtpSink sink;
  final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeAll
  static void startDnsAndSink() throws IOException {
    // The identities in the examples: mail.example.org 203.0.113.10, news.example.org 203.0.113.20.
    dns = TestDnsServer.start()
        .zoneResource("example.org", "examples/example.org.zone")
        .zoneResource("113.0.203.in-addr.arpa", "examples/113.0.203.in-addr.arpa.zone")
        .zoneResource("isp.example.net", "isp.example.net.zone");
    sink = SmtpSink.start();
  }

  @AfterAll
  static void stopDnsAndSink() {
    if (sink != null) {
      sink.close();
    }
    if (dns != null) {
      dns.close();
    }
  }

  @AfterEach
  void closeEverything() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  // ------------------------------------------------------------------ the examples

  @Test
  void submissionOnly() throws Exception {
    Example ex = new Example("01-submission-only");
    int milterPort = FreePorts.next();
    int submissionPort = FreePorts.next();
    Ptrguard guard = ex.startPtrguard(Map.of(), "listen = [\"inet:127.0.0.1:" + milterPort + "\"]");
    PrivatePostfix pf = ex.postfix("ex01");
    // overrides: the submission service on a free port instead of 587, the milter's port
    ex.renameService(pf, "submission/inet", "127.0.0.1:" + submissionPort + "/inet");
    ex.postconf(pf, "-P", "127.0.0.1:" + submissionPort + "/inet/smtpd_milters=inet:127.0.0.1:" + milterPort);
    ex.checkAndStart(pf);
    guard.awaitReady();

    InetSocketAddress submission = new InetSocketAddress("127.0.0.1", submissionPort);
    assertThat(send(submission, null, "alice@example.org", "ex01-submission")).containsExactly(250, 250);
    awaitSink("Subject: ex01-submission");
    guard.awaitLog("event=decision mode=audit action=accept identity=default ip=203.0.113.10 ptr=mail.example.org");
    assertThat(guard.log()).contains("verdict=pass").contains("daemon=submission");

    // The port-25 service has no milter: ptrguard sees nothing of it.
    assertThat(send(pf.smtpAddress(), null, "bob@example.org", "ex01-port25")).containsExactly(250, 250);
    awaitSink("Subject: ex01-port25");
    assertThat(guard.count("event=decision")).isEqualTo(1);
    assertNoMilterTrouble(pf);
  }

  @Test
  void port25SharedWithScopeClients() throws Exception {
    Example ex = new Example("02-port25-shared");
    int milterPort = FreePorts.next();
    // override: only 127.0.0.1 stands for "our relaying clients"; 127.0.0.9 plays an inbound MX peer
    Ptrguard guard = ex.startPtrguard(Map.of(), "listen = [\"inet:127.0.0.1:" + milterPort + "\"]",
        "scope.clients = [\"127.0.0.1/32\"]");
    PrivatePostfix pf = ex.postfix("ex02");
    ex.postconf(pf, "-e", "smtpd_milters = inet:127.0.0.1:" + milterPort);
    ex.checkAndStart(pf);
    guard.awaitReady();

    assertThat(send(pf.smtpAddress(), null, "alice@example.org", "ex02-outbound")).containsExactly(250, 250);
    awaitSink("Subject: ex02-outbound");
    guard.awaitLog("event=decision mode=audit action=accept identity=default ip=203.0.113.10");
    assertThat(guard.log()).contains("client=127.0.0.1 ");

    InetAddress inboundPeer = InetAddress.getByName("127.0.0.9");
    assertThat(send(pf.smtpAddress(), inboundPeer, "someone@elsewhere.example", "ex02-inbound")).containsExactly(250, 250);
    awaitSink("Subject: ex02-inbound");
    assertThat(guard.count("event=decision")).isEqualTo(1);
    assertThat(guard.log()).doesNotContain("client=127.0.0.9");
    assertNoMilterTrouble(pf);
  }

  @Test
  void sendmailWithHold() throws Exception {
    Example ex = new Example("03-sendmail-hold");
    int milterPort = FreePorts.next();
    // overrides: enforce through the documented environment switch, and an address without PTR
    Ptrguard guard = ex.startPtrguard(Map.of("PTRGUARD_MODE", "enforce"),
        "listen = [\"inet:127.0.0.1:" + milterPort + "\"]",
        "identities = [ { name = default, ip = [\"203.0.113.13\"], ehlo = mail.example.org } ]");
    PrivatePostfix pf = ex.postfix("ex03");
    ex.postconf(pf, "-e", "non_smtpd_milters = inet:127.0.0.1:" + milterPort);
    ex.checkAndStart(pf);
    guard.awaitReady();

    int before = sink.messageCount();
    ProcessResult local = pf.sendmail("cron@example.org", List.of("admin@dest.example.test"),
        "Subject: ex03-cron\n\nfrom a local program\n");
    assertThat(local.ok()).as(local.describe()).isTrue();
    pf.waitForLog("milter-hold: END-OF-MESSAGE from local", TIMEOUT);
    guard.awaitLog("event=decision mode=enforce action=hold identity=default ip=203.0.113.13");
    assertThat(guard.log()).contains("codes=ptr.missing");
    assertThat(pf.holdCount()).isEqualTo(1);
    assertThat(sink.messageCount()).isEqualTo(before);
  }

  @Test
  void twoOutboundAddressesBySender() throws Exception {
    Example ex = new Example("04-two-outbound-ips");
    int milterPort = FreePorts.next();
    Ptrguard guard = ex.startPtrguard(Map.of(), "listen = [\"inet:127.0.0.1:" + milterPort + "\"]");
    PrivatePostfix pf = ex.postfix("ex04");
    // overrides: the milter's port, and loopback bind addresses so the mail can reach the sink
    ex.postconf(pf, "-e", "smtpd_milters = inet:127.0.0.1:" + milterPort);
    ex.postconf(pf, "-P", "smtp-main/unix/smtp_bind_address=127.0.0.2");
    ex.postconf(pf, "-P", "smtp-news/unix/smtp_bind_address=127.0.0.3");
    ex.checkAndStart(pf);
    guard.awaitReady();

    assertThat(send(pf.smtpAddress(), null, "alice@example.org", "ex04-main")).containsExactly(250, 250);
    assertThat(send(pf.smtpAddress(), null, "letters@news.example.org", "ex04-news")).containsExactly(250, 250);
    String main = awaitSink("Subject: ex04-main");
    String news = awaitSink("Subject: ex04-news");
    assertThat(main).contains("X-Client-Addr: 127.0.0.2").contains("X-Helo-Args: mail.example.org");
    assertThat(news).contains("X-Client-Addr: 127.0.0.3").contains("X-Helo-Args: news.example.org");
    guard.awaitLog("identity=default ip=203.0.113.10 ptr=mail.example.org ehlo=mail.example.org verdict=pass");
    guard.awaitLog("identity=news ip=203.0.113.20 ptr=news.example.org ehlo=news.example.org verdict=pass");
    assertNoMilterTrouble(pf);
  }

  @Test
  void unixSocketInsideTheChroot() throws Exception {
    Example ex = new Example("05-unix-socket-chroot");
    PrivatePostfix pf = ex.postfix("ex05");
    // The scratch queue directory stands in for /var/spool/postfix. The test runs ptrguard as root,
    // not as user ptrguard with postfix in its group, so group postfix stands in for group ptrguard
    // on the socket directory (0750 as the README says) and, by override, on the socket.
    Path queue = Path.of(pf.parameter("queue_directory"));
    Path socketDir = Files.createDirectory(queue.resolve("ptrguard"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-x---")));
    GroupPrincipal postfixGroup = socketDir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName("postfix");
    Files.getFileAttributeView(socketDir, PosixFileAttributeView.class).setGroup(postfixGroup);
    // override: the socket path under the scratch queue directory instead of /var/spool/postfix
    Path socket = socketDir.resolve("ptrguard.sock");
    Ptrguard guard = ex.startPtrguard(Map.of(), "listen = [\"unix:" + socket + "\"]", "unix-socket.group = postfix");
    // override: the chrooted smtp service of the snippet replaces the harness's listener on its port
    String listener = "127.0.0.1:" + pf.smtpPort() + "/inet";
    ex.postconf(pf, "-MX", listener);
    ex.renameService(pf, "smtp/inet", listener);
    ex.checkAndStart(pf);
    guard.awaitReady();

    assertThat(ex.postconf(pf, "-M", listener).stdout()).matches("(?s)\\S+\\s+inet\\s+n\\s+-\\s+y\\s.*");
    assertThat(ex.postconf(pf, "-h", "smtpd_milters").stdout().strip()).isEqualTo("unix:/ptrguard/ptrguard.sock");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-rw----");
    assertThat(Files.getAttribute(socket, "posix:group")).isEqualTo(postfixGroup);

    assertThat(send(pf.smtpAddress(), null, "alice@example.org", "ex05-chroot")).containsExactly(250, 250);
    awaitSink("Subject: ex05-chroot");
    guard.awaitLog("event=decision mode=audit action=accept identity=default ip=203.0.113.10");
    assertNoMilterTrouble(pf);
  }

  @Test
  void severalAddressesThroughMasterCfServicesAreDiscovered() throws Exception {
    Example ex = new Example("06-multi-ip-services");
    int milterPort = FreePorts.next();
    PrivatePostfix pf = ex.postfix("ex06");
    Path conf = ex.conf("listen = [\"inet:127.0.0.1:" + milterPort + "\"]");
    Path pasted = ex.asPasted(pf);

    // ptrguard.conf names no identity: both addresses come from master.cf, judged against the test DNS
    CommandRun routes = ptrguardCommand("routes", "--config", conf.toString(), "--postfix-config", pasted.toString(), "--json");
    assertThat(routes.exit()).as(routes.out() + routes.err()).isZero();
    assertThat(RouteJson.route(routes.out(), "smtp-main", "default-transport")).contains("\"reach\":\"direct\"",
        "\"ip\":\"203.0.113.10\"", "\"ip_source\":\"master.cf smtp-main/unix -o smtp_bind_address\"",
        "\"ehlo\":\"mail.example.org\"", "\"verdict\":\"pass\"");
    assertThat(RouteJson.route(routes.out(), "smtp-news", "sender-dependent-default-transport"))
        .contains("\"key\":\"@news.example.org\"", "\"ip\":\"203.0.113.20\"", "\"ehlo\":\"news.example.org\"",
            "\"verdict\":\"pass\"");
    assertThat(RouteJson.route(routes.out(), "smtp-news", "transport-map")).contains("\"key\":\"partner.example.com\"");
    CommandRun route = ptrguardCommand("route", "--config", conf.toString(), "--postfix-config", pasted.toString(),
        "--sender", "alice@example.org", "--rcpt", "bob@example.net", "--rcpt", "p@partner.example.com");
    assertThat(route.out()).contains("route   smtp-main -> MX of the recipient domain [direct] selected by default_transport")
        .contains("route   smtp-news -> MX of the recipient domain [direct] selected by transport_maps");
    CommandRun check = ptrguardCommand("check", "--config", conf.toString(), "--postfix-config", pasted.toString());
    assertThat(check.exit()).as(check.out() + check.err()).isZero();
    assertThat(check.out()).contains("identity smtp-main: 203.0.113.10  PASS").contains("identity smtp-news: 203.0.113.20  PASS");

    // Postfix really sends each sender's mail through its service (loopback stand-ins for the addresses)
    Ptrguard guard = ex.startPtrguard(Map.of(), "listen = [\"inet:127.0.0.1:" + milterPort + "\"]");
    ex.postconf(pf, "-e", "smtpd_milters = inet:127.0.0.1:" + milterPort);
    ex.postconf(pf, "-P", "smtp-main/unix/smtp_bind_address=127.0.0.2");
    ex.postconf(pf, "-P", "smtp-news/unix/smtp_bind_address=127.0.0.3");
    ex.checkAndStart(pf);
    guard.awaitReady();
    assertThat(send(pf.smtpAddress(), null, "alice@example.org", "ex06-main")).containsExactly(250, 250);
    assertThat(send(pf.smtpAddress(), null, "letters@news.example.org", "ex06-news")).containsExactly(250, 250);
    assertThat(awaitSink("Subject: ex06-main")).contains("X-Client-Addr: 127.0.0.2").contains("X-Helo-Args: mail.example.org");
    assertThat(awaitSink("Subject: ex06-news")).contains("X-Client-Addr: 127.0.0.3").contains("X-Helo-Args: news.example.org");
    assertNoMilterTrouble(pf);
  }

  @Test
  void relayHostRoutesAreReportedAsRelayed() throws Exception {
    Example ex = new Example("07-relay-host");
    int milterPort = FreePorts.next();
    PrivatePostfix pf = ex.postfix("ex07");
    Path conf = ex.conf("listen = [\"inet:127.0.0.1:" + milterPort + "\"]");
    // as pasted: the snippet's own relayhost (the harness's sink relay is set before the snippet)
    Path pasted = Files.createTempDirectory("ptrguard-example-pf-");
    for (String f : List.of("main.cf", "master.cf", "dynamicmaps.cf")) {
      Files.copy(pf.configDir().resolve(f), pasted.resolve(f));
    }
    CommandRun routes = ptrguardCommand("routes", "--config", conf.toString(), "--postfix-config", pasted.toString(), "--json");
    assertThat(routes.exit()).as(routes.out() + routes.err()).isZero();
    assertThat(RouteJson.route(routes.out(), "smtp", "default-transport")).contains("\"kind\":\"relayhost\"",
        "\"text\":\"[smtp.example.net]:587\"", "\"reach\":\"relayed\"", "\"verdict\":\"not-judged\"", "\"identities\":[]");
    CommandRun check = ptrguardCommand("check", "--config", conf.toString(), "--postfix-config", pasted.toString());
    assertThat(check.exit()).as(check.out() + check.err()).isZero();
    assertThat(check.out()).contains("no route reaches receivers directly");
    // the relay is reported, never judged: its name is not in the test DNS, so it does not resolve
    assertThat(check.out().replaceAll("\\s+", " ")).contains("relay [smtp.example.net]:587 (service smtp;")
        .contains("relay: [smtp.example.net]:587: host smtp.example.net, port 587, bracketed (no MX lookup)")
        .contains("resolves: no:").contains("will sit in the queue (deferred)");

    // and the layout delivers: the relay host is the sink here
    Ptrguard guard = ex.startPtrguard(Map.of(), "listen = [\"inet:127.0.0.1:" + milterPort + "\"]");
    ex.postconf(pf, "-e", "smtpd_milters = inet:127.0.0.1:" + milterPort);
    ex.postconf(pf, "-e", "relayhost = [127.0.0.1]:" + sink.port());
    ex.checkAndStart(pf);
    guard.awaitReady();
    assertThat(send(pf.smtpAddress(), null, "alice@example.org", "ex07-relayed")).containsExactly(250, 250);
    assertThat(awaitSink("Subject: ex07-relayed")).contains("X-Helo-Args: mail.example.org");
    assertNoMilterTrouble(pf);
  }

  /** What a ptrguard command run from the built jar printed. */
  record CommandRun(int exit, String out, String err) {}

  static CommandRun ptrguardCommand(String... args) throws Exception {
    ProcessResult r = org.ptrguard.testing.Commands.run(Duration.ofSeconds(90), PtrguardProcess.command(args));
    return new CommandRun(r.exitCode(), r.stdout(), r.stderr());
  }

  // ------------------------------------------------------------------ one example directory

  /** Reads an example's files and applies them to a scratch Postfix. */
  final class Example {
    final String name;
    final Path dir;

    Example(String name) {
      this.name = name;
      this.dir = EXAMPLES.resolve(name);
      assertThat(dir.resolve("README.md")).as("README of " + name).isRegularFile();
      assertThat(dir.resolve("main.cf.snippet")).isRegularFile();
      assertThat(dir.resolve("ptrguard.conf")).isRegularFile();
    }

    String file(String file) throws IOException {
      return Files.readString(dir.resolve(file), StandardCharsets.UTF_8);
    }

    /** A scratch Postfix relaying to the sink, with the example's snippets applied (not yet checked). */
    PrivatePostfix postfix(String instance) throws IOException {
      PrivatePostfix pf = PrivatePostfix.builder(instance).relayTo(sink).build();
      toClose.add(pf);
      for (String line : logicalLines(file("main.cf.snippet"))) {
        postconf(pf, "-e", line);
      }
      Path masterSnippet = dir.resolve("master.cf.snippet");
      if (Files.exists(masterSnippet)) {
        appendToMasterCf(pf, Files.readString(masterSnippet, StandardCharsets.UTF_8));
      }
      return pf;
    }

    ProcessResult postconf(PrivatePostfix pf, String... args) {
      List<String> command = new ArrayList<>(List.of("postconf", "-c", pf.configDir().toString()));
      command.addAll(List.of(args));
      ProcessResult r = pf.run(command, null);
      assertThat(r.ok()).as(r.describe()).isTrue();
      assertThat(r.stderr()).as("postconf warnings for " + name + ": " + r.describe()).isBlank();
      return r;
    }

    /** postconf -M has no rename: read the entry, delete it, add it under the new name. */
    void renameService(PrivatePostfix pf, String from, String to) {
      String entry = postconf(pf, "-M", from).stdout().strip();
      assertThat(entry).as("service " + from + " in master.cf of " + name).isNotEmpty();
      String fields = entry.substring(entry.indexOf(' ')).strip();
      String newName = to.substring(0, to.lastIndexOf('/'));
      postconf(pf, "-MX", from);
      postconf(pf, "-Me", to + " = " + newName + " " + fields);
    }

    /** postfix check must pass without a single warning, then the instance starts. */
    void checkAndStart(PrivatePostfix pf) {
      ProcessResult check = pf.postfix("check");
      assertThat(check.ok()).as(check.describe()).isTrue();
      assertThat(check.stderr()).as("postfix check for " + name + ": " + check.describe()).isBlank();
      pf.start();
    }

    /** Starts the built jar with the example's ptrguard.conf plus the appended overrides (call awaitReady). */
    Ptrguard startPtrguard(Map<String, String> env, String... overrides) throws Exception {
      Path conf = conf(overrides);
      Ptrguard guard = Ptrguard.start(conf, conf.resolveSibling("ptrguard.log"), env);
      toClose.add(guard);
      return guard;
    }

    /** The example's ptrguard.conf with the test DNS server and {@code overrides} appended, in a fresh directory. */
    Path conf(String... overrides) throws IOException {
      Path work = Files.createTempDirectory("ptrguard-example-");
      Path conf = work.resolve("ptrguard.conf");
      String text = file("ptrguard.conf") + "\n# --- overrides appended by PostfixExamplesIT ---\n"
          + "dns { resolvers = [\"127.0.0.1:" + dns.address().getPort() + "\"], timeout = 1500ms, check-budget = 4s }\n"
          + String.join("\n", overrides) + "\n";
      Files.writeString(conf, text);
      return conf;
    }

    /**
     * A copy of the scratch instance's configuration as the admin pasted it, without the relayhost
     * the harness adds to reach the sink (with it, every route would be relayed).
     */
    Path asPasted(PrivatePostfix pf) throws IOException {
      Path copy = Files.createTempDirectory("ptrguard-example-pf-");
      for (String f : List.of("main.cf", "master.cf", "dynamicmaps.cf")) {
        Files.copy(pf.configDir().resolve(f), copy.resolve(f));
      }
      postconfIn(copy, "-X", "relayhost");
      return copy;
    }

    void postconfIn(Path configDir, String... args) {
      List<String> command = new ArrayList<>(List.of("postconf", "-c", configDir.toString()));
      command.addAll(List.of(args));
      ProcessResult r = org.ptrguard.testing.Commands.run(TIMEOUT, command);
      assertThat(r.ok()).as(r.describe()).isTrue();
    }
  }

  /** main.cf lines joined with their continuation lines (leading whitespace), comments dropped. */
  static List<String> logicalLines(String snippet) {
    List<String> lines = new ArrayList<>();
    for (String raw : snippet.lines().toList()) {
      if (raw.isBlank() || raw.strip().startsWith("#")) {
        continue;
      }
      if (Character.isWhitespace(raw.charAt(0)) && !lines.isEmpty()) {
        lines.set(lines.size() - 1, lines.get(lines.size() - 1) + " " + raw.strip());
      } else {
        lines.add(raw.strip());
      }
    }
    return lines;
  }

  /** Adds the snippet before the harness's last entry (postlog must stay last, see PrivatePostfix). */
  static void appendToMasterCf(PrivatePostfix pf, String snippet) throws IOException {
    Path master = pf.configDir().resolve("master.cf");
    String text = Files.readString(master, StandardCharsets.UTF_8);
    int postlog = text.lastIndexOf("\npostlog ");
    assertThat(postlog).as("harness master.cf ends with postlog").isPositive();
    String withSnippet = text.substring(0, postlog + 1) + snippet + (snippet.endsWith("\n") ? "" : "\n")
        + text.substring(postlog + 1);
    Files.writeString(master, withSnippet, StandardCharsets.UTF_8);
  }

  // ------------------------------------------------------------------ ptrguard process

  /** The built jar as its own process, its output in a file. */
  record Ptrguard(Process process, Path logFile) implements AutoCloseable {
    static Ptrguard start(Path conf, Path log, Map<String, String> env) throws Exception {
      ProcessBuilder pb = PtrguardProcess.builder("serve", "--config", conf.toString());
      pb.environment().putAll(env);
      pb.redirectErrorStream(true).redirectOutput(log.toFile());
      // not waited for here: the JVM starts while the test sets up Postfix (see awaitReady)
      return new Ptrguard(pb.start(), log);
    }

    String log() throws IOException {
      return Files.readString(logFile, StandardCharsets.UTF_8);
    }

    void awaitReady() throws Exception {
      awaitLog("event=ready");
    }

    long count(String needle) throws IOException {
      return log().lines().filter(l -> l.contains(needle)).count();
    }

    void awaitLog(String needle) throws Exception {
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (count(needle) == 0) {
        assertThat(process.isAlive()).as("ptrguard died:\n" + log()).isTrue();
        assertThat(System.nanoTime()).as("no '" + needle + "' in the ptrguard log:\n" + log()).isLessThan(deadline);
        Thread.sleep(50);
      }
    }

    @Override
    public void close() throws Exception {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  // ------------------------------------------------------------------ SMTP and checks


  /** One transaction; returns the reply codes of MAIL FROM and (if that was accepted) DATA. */
  static List<Integer> send(InetSocketAddress smtpd, InetAddress from, String sender, String subject) throws IOException {
    try (SmtpTestClient c = SmtpTestClient.connect(smtpd, from, TIMEOUT)) {
      c.greeting();
      c.ehlo("client.example.test");
      List<Integer> codes = new ArrayList<>();
      SmtpReply mail = c.mail(sender);
      codes.add(mail.code());
      if (mail.code() == 250) {
        c.rcpt("rcpt@dest.example.test");
        codes.add(c.data("Subject: " + subject + "\nFrom: " + sender + "\n\nhello\n").code());
      }
      c.quit();
      return codes;
    }
  }

  /** Waits for the sink to receive the message containing {@code needle}; returns it. */
  static String awaitSink(String needle) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      for (String m : sink.messages()) {
        if (m.contains(needle)) {
          return m;
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the sink never received a message with '" + needle + "'");
  }

  /** Postfix found the milter and had nothing to complain about. */
  static void assertNoMilterTrouble(PrivatePostfix pf) {
    assertThat(pf.maillog().lines().filter(l -> l.contains("warning:") || l.contains("fatal:")).toList())
        .as("warnings in the maillog of " + pf.name()).isEmpty();
  }
}
