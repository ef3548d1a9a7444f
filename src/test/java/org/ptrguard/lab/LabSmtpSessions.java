package org.ptrguard.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.ptrguard.testing.Commands;
import org.ptrguard.testing.ProcessResult;
import org.ptrguard.testing.SmtpReply;
import org.ptrguard.testing.SmtpTestClient;

/**
 * SMTP sessions made from inside a lab namespace: a JVM cannot enter a network namespace, so
 * {@link #run} starts this class's {@link #main} there ({@code ip netns exec}), once for a whole batch.
 * Each session connects from its own source address, says EHLO with its own name, MAIL FROM, RCPT TO
 * and QUIT, and reports the first reply that is not positive (or the RCPT reply when all are).
 *
 * <p>Input, one session a line: {@code label TAB source TAB server TAB port TAB ehlo}. Output, one line
 * per session: {@code label TAB stage TAB code TAB enhanced-or-dash TAB message}.
 */
public final class LabSmtpSessions {
  /** Bounds every reply: the server's own DNS lookups (a timing-out resolver) come before its greeting. */
  private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(45);
  private static final int PARALLEL = 6;

  /** One session to make. */
  record Session(String label, String source, String server, int port, String ehlo) {
    String line() {
      return String.join("\t", label, source, server, Integer.toString(port), ehlo);
    }
  }

  /** The reply that decided the session: {@code stage} is CONNECT, GREETING, EHLO, MAIL or RCPT. */
  record Outcome(String label, String stage, int code, String enhanced, String message) {
    static Outcome parse(String line) {
      String[] f = line.split("\t", 5);
      if (f.length != 5) {
        throw new IllegalArgumentException("not a session outcome: " + line);
      }
      return new Outcome(f[0], f[1], Integer.parseInt(f[2]), f[3], f[4]);
    }
  }

  private LabSmtpSessions() {}

  /** Runs {@code sessions} inside {@code host}'s namespace; the outcomes by label. */
  static Map<String, Outcome> run(LabNetwork.Host host, List<Session> sessions, Duration timeout) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    // the test classes suffice: this class and org.ptrguard.testing's SMTP client use the JDK only
    String classes = Path.of(LabSmtpSessions.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    StringBuilder input = new StringBuilder();
    sessions.forEach(s -> input.append(s.line()).append('\n'));
    ProcessResult r = Commands.run(timeout, host.exec(java.toString(), "-Xss512k", "-XX:TieredStopAtLevel=1", "-cp", classes,
        LabSmtpSessions.class.getName()), Map.of(), input.toString().getBytes(StandardCharsets.UTF_8));
    if (!r.ok()) {
      throw new IllegalStateException("SMTP sessions in " + host.namespace() + " failed: " + r.describe());
    }
    Map<String, Outcome> out = new java.util.LinkedHashMap<>();
    r.stdout().lines().filter(l -> !l.isBlank()).map(Outcome::parse).forEach(o -> out.put(o.label(), o));
    return out;
  }

  public static void main(String[] args) throws Exception {
    List<Session> sessions = new ArrayList<>();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      String[] f = line.split("\t");
      if (f.length == 5) {
        sessions.add(new Session(f[0], f[1], f[2], Integer.parseInt(f[3]), f[4]));
      }
    }
    ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
    try {
      List<Future<String>> results = new ArrayList<>();
      for (Session s : sessions) {
        results.add(pool.submit(() -> session(s)));
      }
      for (Future<String> f : results) {
        System.out.println(f.get());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static String session(Session s) {
    String stage = "CONNECT";
    try (SmtpTestClient c = SmtpTestClient.connect(new InetSocketAddress(InetAddress.getByName(s.server()), s.port()),
        InetAddress.getByName(s.source()), REPLY_TIMEOUT)) {
      stage = "GREETING";
      SmtpReply reply = c.greeting();
      if (reply.positive()) {
        stage = "EHLO";
        reply = c.ehlo(s.ehlo());
      }
      if (reply.positive()) {
        stage = "MAIL";
        reply = c.mail("sender@example.com");
      }
      if (reply.positive()) {
        stage = "RCPT";
        reply = c.rcpt("postmaster@example.org");
      }
      try {
        c.quit();
      } catch (IOException ignored) {
        // the server may have closed after a refusal; the reply above is what counts
      }
      return String.join("\t", s.label(), stage, Integer.toString(reply.code()), reply.enhancedCode().orElse("-"),
          reply.message());
    } catch (IOException | RuntimeException e) {
      return String.join("\t", s.label(), stage, "0", "-", e.toString().replace('\t', ' ').replace('\n', ' '));
    }
  }
}
