package org.ptrguard.postfix;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.cli.Commands;
import org.ptrguard.postfix.ReceiverReplies.ReplyClass;
import org.ptrguard.testing.Loopback;
import org.ptrguard.testing.PrivatePostfix;

/**
 * A real sending Postfix delivers over loopback to a real receiving Postfix that rejects the way the
 * big receivers do (their texts, from an access table), through two smtp services (the second over
 * IPv6 where the machine has it). The sender's own {@code maillog_file} is followed while Postfix
 * writes and rotates it ({@code postfix logrotate}), and {@code ptrguard scan-log} reads it, split
 * into a gzipped rotated part and the current file.
 */
class DeliveryLogIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void realPostfixLinesAreFollowedAcrossLogrotateAndSummedByScanLog() throws Exception {
    boolean v6 = Loopback.hasIpv6();
    String id = UUID.randomUUID().toString().substring(0, 6);
    Path access = dir.resolve("access");
    Files.writeString(access, String.join("\n",
        "gmail.example.com 550 5.7.25 The IP address sending this message does not have a PTR record setup, or the"
            + " corresponding forward DNS entry does not match the sending IP. As a policy, Gmail does not accept"
            + " messages from IPs with missing PTR records. - gsmtp",
        "outlook.example.net 450 4.7.25 Service unavailable, sending IPv6 address [" + (v6 ? "::1" : "127.0.0.1")
            + "] must have reverse DNS record.",
        "strict.example.org 450 4.7.25 Client host rejected: cannot find your hostname, [127.0.0.1]",
        "helo.example.org 504 5.5.2 <snd>: Helo command rejected: need fully-qualified hostname",
        "spam.example.com 550 5.7.1 Message rejected as spam by Content Filtering.",
        "") );
    try (PrivatePostfix receiver = PrivatePostfix.builder("rcv-" + id).ipv6(v6)
            .parameter("relay_domains", "example.com example.net example.org")
            .parameter("relay_transport", "discard:")
            .parameter("smtpd_recipient_restrictions", "check_recipient_access texthash:" + access + ", permit_mynetworks, reject")
            .build().start()) {
      int port = receiver.smtpPort();
      Path transport = dir.resolve("transport");
      Files.writeString(transport, "outlook.example.net smtp-b:[" + (v6 ? "::1" : "127.0.0.1") + "]:" + port + "\n");
      try (PrivatePostfix sender = PrivatePostfix.builder("snd-" + id).ipv6(v6)
              .parameter("relayhost", "[127.0.0.1]:" + port)
              .parameter("transport_maps", "texthash:" + transport)
              .parameter("smtp_helo_name", "snd")
              .parameter("maillog_file_compressor", "gzip")
              .masterCfLine("smtp-b unix - - n - - smtp -o syslog_name=postfix-snd-" + id + "/smtp-b")
              .build().start()) {
        Path maillog = Path.of(sender.parameter("maillog_file"));
        List<DeliveryLogLine> followed = Collections.synchronizedList(new ArrayList<>());
        try (FileLogFollower follower = new FileLogFollower(maillog,
            LogFollower.delivering(DeliveryLogParser.standard(), followed::add),
            new LogFollower.Timing(Duration.ofMillis(50), Duration.ofMillis(50), Duration.ofSeconds(1), Duration.ofSeconds(30)))
            .start()) {
          Thread.sleep(300);
          send(sender, "a@gmail.example.com", "b@outlook.example.net", "c@strict.example.org");
          sender.waitForLog("to=<a@gmail.example.com>.*status=bounced", TIMEOUT);
          sender.waitForLog("to=<b@outlook.example.net>.*status=deferred", TIMEOUT);
          sender.waitForLog("to=<c@strict.example.org>.*status=deferred", TIMEOUT);
          // Postfix rotates its own log: renames maillog_file and gzips the old one
          assertThat(sender.postfix("logrotate").ok()).isTrue();
          send(sender, "d@helo.example.org", "e@spam.example.com", "f@fine.example.com");
          sender.waitForLog("to=<d@helo.example.org>.*status=bounced", TIMEOUT);
          sender.waitForLog("to=<e@spam.example.com>.*status=bounced", TIMEOUT);
          sender.waitForLog("to=<f@fine.example.com>.*status=sent", TIMEOUT);
          FileLogFollowerTest.waitUntil(() -> recipients(followed).containsAll(
              List.of("a@gmail.example.com", "b@outlook.example.net", "c@strict.example.org", "d@helo.example.org",
                  "e@spam.example.com", "f@fine.example.com")), TIMEOUT);
        }
        assertThat(deliveries(followed)).as("each delivery line once, across the rotation").doesNotHaveDuplicates();
        assertThat(recipients(followed)).contains("a@gmail.example.com", "d@helo.example.org", "e@spam.example.com",
            "f@fine.example.com");
        DeliveryLogLine outlook = followed.stream().filter(l -> l.recipient().orElse("").startsWith("b@")).findFirst()
            .orElseThrow();
        assertThat(outlook.service()).isEqualTo("smtp-b");
        assertThat(outlook.family().map(Route.Family::word)).contains(v6 ? "ipv6" : "ipv4");
        assertThat(ReceiverReplies.standard().classify(outlook).map(ReceiverReplies.Match::replyClass))
            .contains(ReplyClass.IPV6_PTR);

        // scan-log over the rotated (gzipped) part and the current file, as copied from another host
        List<Path> parts;
        try (var s = Files.list(maillog.getParent())) {
          parts = s.filter(p -> p.getFileName().toString().startsWith("maillog")).sorted().toList();
        }
        assertThat(parts).as("postfix logrotate left a gzipped part").anyMatch(p -> p.toString().endsWith(".gz"));
        Path copy = dir.resolve("from-other-host");
        Files.createDirectory(copy);
        List<String> args = new ArrayList<>(List.of("scan-log", "--json"));
        for (Path p : parts) {
          Path c = copy.resolve(p.getFileName());
          Files.copy(p, c);
          args.add(c.toString());
        }
        // keep the real lines as the fixture of ScanLogCommandTest (when asked to)
        String keep = System.getProperty("ptrguard.keepMaillog");
        if (keep != null) {
          Files.writeString(Path.of(keep), allText(parts));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Commands.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        String json = out.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(err.toString(StandardCharsets.UTF_8)).isEqualTo(1);
        assertThat(json).contains("\"receiverDomain\":\"gmail.example.com\"", "\"rule\":\"gmail-ptr\"",
            "\"receiverDomain\":\"outlook.example.net\"", "\"rule\":\"microsoft-ipv6-ptr\"",
            "\"identity\":\"127.0.0.1\",\"receiverDomain\":\"strict.example.org\"", "\"rule\":\"postfix-unknown-client\"",
            "\"receiverDomain\":\"helo.example.org\"", "\"rule\":\"postfix-non-fqdn-helo\"");
        assertThat(json).doesNotContain("spam.example.com").doesNotContain("fine.example.com");
      }
    }
  }

  private static void send(PrivatePostfix sender, String... rcpts) {
    for (String rcpt : rcpts) {
      assertThat(sender.sendmail("sender@example.org", List.of(rcpt), "Subject: feedback\n\nhello\n").ok()).isTrue();
    }
  }

  private static List<String> recipients(List<DeliveryLogLine> lines) {
    synchronized (lines) {
      return lines.stream().filter(l -> l.event() == DeliveryLogLine.Event.DELIVERY)
          .filter(l -> l.status() != DeliveryLogLine.Status.DEFERRED)
          .map(l -> l.recipient().orElse("")).toList();
    }
  }

  /** Queue ID and recipient of each final delivery line: a line read twice would repeat its pair. */
  private static List<String> deliveries(List<DeliveryLogLine> lines) {
    synchronized (lines) {
      return lines.stream().filter(l -> l.event() == DeliveryLogLine.Event.DELIVERY)
          .filter(l -> l.status() != DeliveryLogLine.Status.DEFERRED)
          .map(l -> l.queueId().orElse("") + ":" + l.recipient().orElse("")).toList();
    }
  }

  private static String allText(List<Path> parts) throws Exception {
    StringBuilder s = new StringBuilder();
    for (Path p : parts) {
      byte[] b = Files.readAllBytes(p);
      if (p.toString().endsWith(".gz")) {
        b = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(b)).readAllBytes();
      }
      s.append(new String(b, StandardCharsets.UTF_8));
    }
    return s.toString();
  }
}
