package org.ptrguard.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.testing.JournalStream;
import org.ptrguard.testing.PtrguardProcess;

/**
 * Log lines from the packaged jar: pure logfmt; under the journal (JOURNAL_STREAM naming stderr, as
 * systemd sets it) with the priority prefix and no timestamp, elsewhere with {@code ts=}.
 */
class JournalLoggingIT {
  /** One logfmt pair: key=bare or key="quoted with \" escapes". */
  static final String PAIR = "[\\w.-]+=(\"([^\"\\\\]|\\\\.)*\"|[^\\s\"]*)";
  static final String LOGFMT = PAIR + "( " + PAIR + ")*";

  @TempDir Path dir;

  private String run(List<String> command, String journalStream) throws Exception {
    Path conf = dir.resolve("warn.conf");
    // An unknown key produces a warning at start; an address not on this host then stops the start.
    Files.writeString(conf, "frobnicate = 1\nlisten = [\"inet:192.0.2.123:25\"]\nidentities = [{name = d, ip = [\"192.0.2.1\"], ehlo = a.example.com}]\n");
    List<String> full = new ArrayList<>(command);
    full.addAll(List.of("serve", "--config", conf.toString()));
    ProcessBuilder pb = PtrguardProcess.builder(full).redirectErrorStream(true);
    if (journalStream == null) {
      pb.environment().remove("JOURNAL_STREAM");
    } else {
      pb.environment().put("JOURNAL_STREAM", journalStream);
    }
    Process p = pb.start();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("ptrguard did not stop on a listener it cannot bind");
    }
    assertThat(p.exitValue()).isEqualTo(69);
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  private static List<String> java() {
    return PtrguardProcess.command();
  }

  @Test
  void underTheJournalLinesCarryTheirPriorityAndNoTimestamp() throws Exception {
    String out = run(JournalStream.wrap(java()), null);
    assertThat(out).contains("<4>level=warn logger=ServeCommand event=config-warning");
    assertThat(out.lines().filter(l -> !l.isBlank()))
        .isNotEmpty().allSatisfy(l -> assertThat(l).matches("<[3-7]>level=[a-z]+ logger=\\S+ " + LOGFMT));
    assertThat(out).doesNotContain("ts=");
  }

  @Test
  void elsewhereLinesStartWithATimestamp() throws Exception {
    String out = run(java(), null);
    assertThat(out.lines().filter(l -> l.contains("event=config-warning")))
        .singleElement().satisfies(l -> assertThat(l).matches(
            "ts=\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) level=warn logger=ServeCommand event=config-warning .*"));
    assertThat(out.lines().filter(l -> !l.isBlank())).isNotEmpty().allSatisfy(l -> assertThat(l).matches(LOGFMT));
  }

  /** A JOURNAL_STREAM inherited by a process whose stderr goes elsewhere (a pipe here) is not trusted. */
  @Test
  void aJournalStreamThatIsNotStderrIsIgnored() throws Exception {
    String out = run(java(), "8:12345");
    assertThat(out.lines().filter(l -> !l.isBlank())).isNotEmpty().allSatisfy(l -> assertThat(l).startsWith("ts="));
  }
}
