package org.ptrguard.lab;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ptrguard.testing.Commands;
import org.ptrguard.testing.ProcessResult;

/**
 * One SMTP transaction with several recipients, by swaks inside the sender's namespace, and the
 * reply each RCPT got. swaks sends RCPTs one at a time (no pipelining unless asked), so replies
 * follow their commands in the transcript; it goes on to DATA when at least one was accepted.
 */
record MultiSubmission(String subject, ProcessResult result, Map<String, String> rcptReplies, Optional<String> queueId) {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final Pattern QUEUED_AS = Pattern.compile("queued as ([0-9A-Za-z]+)");
  private static final Pattern RCPT = Pattern.compile("^ *-> RCPT TO:<([^>]*)>");
  private static final Pattern REPLY = Pattern.compile("^ *<(?:-|\\*\\*) +(\\d{3}[ -].*)");

  static MultiSubmission send(LabNetwork.Host host, int port, String from, List<String> to, String subject) {
    Commands.require("swaks", "swaks");
    ProcessResult r = Commands.run(TIMEOUT, host.exec("swaks", "--server", host.ipv4(), "--port", Integer.toString(port),
        "--ehlo", "client.example.com", "--from", from, "--to", String.join(",", to), "--header", "Subject: " + subject,
        "--body", "lab message " + subject, "--timeout", "30"));
    Map<String, String> replies = new LinkedHashMap<>();
    String pending = null;
    Optional<String> queueId = Optional.empty();
    for (String line : r.stdout().lines().toList()) {
      Matcher rc = RCPT.matcher(line);
      if (rc.find()) {
        pending = rc.group(1);
        continue;
      }
      Matcher rp = REPLY.matcher(line);
      if (rp.find()) {
        if (pending != null) {
          replies.put(pending, rp.group(1));
          pending = null;
        }
        Matcher q = QUEUED_AS.matcher(line);
        if (q.find()) {
          queueId = Optional.of(q.group(1));
        }
      }
    }
    return new MultiSubmission(subject, r, Map.copyOf(replies), queueId);
  }

  String reply(String rcpt) {
    return rcptReplies.getOrDefault(rcpt, "no reply to RCPT TO:<" + rcpt + "> in:\n" + result.describe());
  }

  String transcript() {
    return result.describe();
  }
}
