package org.ptrguard.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Log lines as journald gets them from the packaged jar: priority prefix, no timestamp. */
class JournalLoggingIT {
  @TempDir Path dir;

  private String run(boolean journal) throws Exception {
    Path conf = dir.resolve("warn.conf");
    // An unknown key produces a warning at start; an address not on this host then stops the start.
    Files.writeString(conf, "frobnicate = 1\nlisten = [\"inet:192.0.2.123:25\"]\nidentities = [{name = d, ip = [\"192.0.2.1\"], ehlo = a.example.com}]\n");
    ProcessBuilder pb = new ProcessBuilder("java", "-jar", System.getProperty("ptrguard.jar", "target/ptrguard.jar"),
        "serve", "--config", conf.toString()).redirectErrorStream(true);
    if (journal) {
      pb.environment().put("JOURNAL_STREAM", "8:1");
    } else {
      pb.environment().remove("JOURNAL_STREAM");
    }
    Process p = pb.start();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("ptrguard did not stop on a listener it cannot bind");
    }
    assertThat(p.exitValue()).isEqualTo(69);
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  @Test
  void underSystemdLinesCarryTheirPriorityAndNoTimestamp() throws Exception {
    String out = run(true);
    assertThat(out).contains("<4>WARN ServeCommand - event=config-warning");
    assertThat(out.lines().filter(l -> l.contains("event="))).allSatisfy(l -> assertThat(l).matches("<[3-7]>[A-Z]+ .*"));
    assertThat(out).doesNotContain("Exception");
  }

  @Test
  void elsewhereLinesCarryATimestamp() throws Exception {
    String out = run(false);
    assertThat(out.lines().filter(l -> l.contains("event=config-warning")))
        .singleElement().satisfies(l -> assertThat(l).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) WARN ServeCommand - .*"));
  }
}
