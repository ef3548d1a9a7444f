package org.ptrguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ptrguard scan-log} over real Postfix log lines: {@code real-maillog.txt} is the maillog_file
 * of a private Postfix that delivered to a private Postfix receiver rejecting with receivers' texts
 * (captured from DeliveryLogIT, which produces such a log live).
 */
class ScanLogCommandTest {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-03T08:00:00Z"), ZoneOffset.UTC);

  @TempDir Path dir;

  private record Run(int exit, String out, String err) {}

  private Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = ScanLogCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), CLOCK);
    return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static String realLog() throws Exception {
    try (var in = ScanLogCommandTest.class.getResourceAsStream("/org/ptrguard/postfix/real-maillog.txt")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static long count(String log, String... parts) {
    return log.lines().filter(l -> List.of(parts).stream().allMatch(l::contains)).count();
  }

  /** The real log split into a gzipped rotated part and the current file, as postfix logrotate leaves it. */
  private Path rotatedCopy(String log) throws Exception {
    List<String> lines = log.lines().toList();
    int half = lines.size() / 2;
    Path current = dir.resolve("maillog");
    Path rotated = dir.resolve("maillog.20261203-074841.gz");
    try (OutputStream gz = new GZIPOutputStream(Files.newOutputStream(rotated))) {
      gz.write((String.join("\n", lines.subList(0, half)) + "\n").getBytes(StandardCharsets.UTF_8));
    }
    Files.writeString(current, String.join("\n", lines.subList(half, lines.size())) + "\n");
    return current;
  }

  @Test
  void realLogSummedPerIdentityAndReceiverDomainWithCountsAndFix() throws Exception {
    String log = realLog();
    Path current = rotatedCopy(log);
    Run r = run("--json", dir.resolve("maillog.20261203-074841.gz").toString(), current.toString());
    assertThat(r.exit()).as(r.err()).isEqualTo(1);
    long strictDeferred = count(log, "to=<c@strict.example.org>", "status=deferred");
    long outlookDeferred = count(log, "to=<b@outlook.example.net>", "status=deferred");
    assertThat(strictDeferred).isGreaterThan(1);
    assertThat(r.out()).contains("\"identity\":\"127.0.0.1\",\"receiverDomain\":\"strict.example.org\","
        + "\"receiver\":\"127.0.0.1[127.0.0.1]\",\"family\":\"ipv4\",\"counts\":{\"ptr\":0,\"fcrdns\":" + strictDeferred
        + ",\"helo\":0,\"ipv6-ptr\":0,\"other-rdns\":0},\"bounced\":0,\"deferred\":" + strictDeferred);
    assertThat(r.out()).contains("\"identity\":\"::1\",\"receiverDomain\":\"outlook.example.net\","
        + "\"receiver\":\"::1[::1]\",\"family\":\"ipv6\",\"counts\":{\"ptr\":0,\"fcrdns\":0,\"helo\":0,\"ipv6-ptr\":"
        + outlookDeferred + ",\"other-rdns\":0}");
    assertThat(r.out()).contains("\"receiverDomain\":\"gmail.example.com\"", "\"rule\":\"gmail-ptr\"",
        "\"receiverDomain\":\"helo.example.org\"", "\"rule\":\"postfix-non-fqdn-helo\"",
        "\"identity\":\"service postfix-snd-ed9602/smtp\"", "\"lines\":" + log.lines().count(),
        "\"first\":\"2026-12-03T07:48:", "Set smtp_helo_name");
    assertThat(r.out()).doesNotContain("spam.example.com").doesNotContain("fine.example.com");

    Run same = run("--json", current.toString(), dir.resolve("maillog.20261203-074841.gz").toString());
    assertThat(same.out().substring(same.out().indexOf("\"lines\""))).as("order of files does not matter")
        .isEqualTo(r.out().substring(r.out().indexOf("\"lines\"")));
  }

  @Test
  void textReportAndSinceWindow() throws Exception {
    Path current = rotatedCopy(realLog());
    Run r = run(dir.resolve("maillog.20261203-074841.gz").toString(), current.toString());
    assertThat(r.out()).contains("127.0.0.1 -> strict.example.org  (127.0.0.1[127.0.0.1], ipv4)")
        .contains("  example (postfix-unknown-client): 450 4.7.25 <c@strict.example.org>: Recipient address rejected:"
            + " Client host rejected: cannot find your hostname, [127.0.0.1]")
        .contains("  fix: Make 127.0.0.1's PTR name resolve back");
    Run none = run("--since", "5m", current.toString()); // the log ends before 07:55
    assertThat(none.exit()).isZero();
    assertThat(none.out()).contains("No receiver rejected mail for reverse DNS or HELO reasons.");
    assertThat(run("--since", "soon", current.toString()).exit()).isEqualTo(Commands.EXIT_USAGE);
  }

  @Test
  void rotatedSiblingsAreFoundOldestFirst() throws Exception {
    Path current = rotatedCopy(realLog());
    Files.setLastModifiedTime(dir.resolve("maillog.20261203-074841.gz"),
        java.nio.file.attribute.FileTime.from(Instant.parse("2026-12-03T07:48:41Z")));
    Files.writeString(dir.resolve("other.log"), "x\n");
    assertThat(ScanLogCommand.withRotated(current)).containsExactly(dir.resolve("maillog.20261203-074841.gz"), current);
  }

  @Test
  void hostileBinaryAndMissingInputs() throws Exception {
    Path hostile = dir.resolve("hostile.log");
    byte[] binary = new byte[200_000];
    new java.util.Random(7).nextBytes(binary);
    String evil = "Dec  3 07:00:00 mx postfix/smtp[1]: ABCDE12345: to=<a@example.com>, relay=mx.example.com[192.0.2.1]:25,"
        + " delay=1, delays=0/0/0/1, dsn=5.7.25, status=bounced (host mx.example.com[192.0.2.1] said: 550 5.7.25"
        + " \u001b]0;owned\u0007 Client host rejected: cannot find your reverse hostname\r, [192.0.2.9] " + "A".repeat(2_000_000)
        + " (in reply to RCPT TO command))\n";
    try (OutputStream o = Files.newOutputStream(hostile)) {
      o.write(binary);
      o.write('\n');
      o.write(evil.getBytes(StandardCharsets.UTF_8));
    }
    Path truncatedGz = dir.resolve("cut.log.gz");
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (OutputStream o = new GZIPOutputStream(gz)) {
      o.write(realLog().getBytes(StandardCharsets.UTF_8));
    }
    byte[] whole = gz.toByteArray();
    Files.write(truncatedGz, java.util.Arrays.copyOf(whole, whole.length / 2));

    Run r = run(hostile.toString(), truncatedGz.toString(), dir.resolve("absent.log").toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("absent.log: no such file").contains("cut.log.gz: ").contains("read up to there");
    assertThat(r.out()).contains("192.0.2.9 -> example.com").contains("ptr 1");
    assertThat(r.out().chars().filter(c -> c < 0x20 && c != '\n').count()).as("no raw control character").isZero();
    assertThat(r.out().length()).isLessThan(20_000);

    Run nothing = run(dir.resolve("absent.log").toString());
    assertThat(nothing.exit()).isEqualTo(66);
  }

  @Test
  void declaredForHelpManPageAndCompletion() {
    assertThat(Commands.named("scan-log")).isPresent();
    assertThat(Help.of(ScanLogCommand.SPEC)).contains("--since").contains("[FILE...]");
  }
}
