package org.ptrguard.lab;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ptrguard.testing.Commands;
import org.ptrguard.testing.ProcessResult;

/**
 * What a submitting client saw: one SMTP transaction by swaks (Debian package swaks) run inside
 * the sender's namespace, since this JVM cannot open sockets there. The transcript is swaks' own:
 * {@code <- } marks a server reply, {@code <** } a reply swaks treats as an error.
 */
record Submission(ProcessResult result, List<String> serverLines) {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final Pattern QUEUED_AS = Pattern.compile("queued as ([0-9A-Za-z]+)");

  static Submission send(LabNetwork.Host host, int port, String from, String to, String subject) {
    Commands.require("swaks", "swaks");
    ProcessResult r = Commands.run(TIMEOUT, host.exec("swaks", "--server", host.ipv4(), "--port", Integer.toString(port),
        "--ehlo", "client.example.com", "--from", from, "--to", to, "--header", "Subject: " + subject,
        "--body", "lab message " + subject, "--timeout", "30"));
    List<String> lines = r.stdout().lines()
        .filter(l -> l.startsWith("<-") || l.startsWith("<**"))
        .map(l -> l.replaceFirst("^<(-|\\*\\*)\\s+", ""))
        .toList();
    return new Submission(r, lines);
  }

  /** The first refusal (4xx/5xx) the server gave, if any. */
  Optional<String> refusal() {
    return serverLines.stream().filter(l -> l.matches("[45]\\d\\d[ -].*")).findFirst();
  }

  /** The reply to the end of data, if the message was accepted. */
  Optional<String> queuedReply() {
    return serverLines.stream().filter(l -> QUEUED_AS.matcher(l).find()).findFirst();
  }

  Optional<String> queueId() {
    return queuedReply().map(l -> {
      Matcher m = QUEUED_AS.matcher(l);
      m.find();
      return m.group(1);
    });
  }

  /** The reply that decided the transaction: the refusal, else the "queued as" reply. */
  String decisive() {
    return refusal().or(this::queuedReply).orElse("no reply; swaks said:\n" + result.describe());
  }

  String transcript() {
    return result.describe();
  }
}
