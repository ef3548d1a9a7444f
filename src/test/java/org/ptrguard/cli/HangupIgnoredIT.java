package org.ptrguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.testing.FreePorts;
import org.ptrguard.testing.PtrguardProcess;

/**
 * Started with SIGHUP ignored (nohup does that, and the disposition survives exec), the JVM cannot
 * take the signal back: reload would do nothing without a word. ptrguard must say so at start; and
 * started normally, the same SIGHUP must reload.
 */
class HangupIgnoredIT {
  @TempDir
  Path dir;

  @Test
  void underNohupTheDaemonSaysReloadIsUnavailable() throws Exception {
    Path log = dir.resolve("nohup.log");
    Process p = start(true, log);
    try {
      String out = awaitLine(log, "event=listening");
      assertThat(awaitLine(log, "event=reload-unavailable")).contains("reason=sighup-ignored");
      assertThat(out).doesNotContain("Exception");
    } finally {
      p.destroy();
      p.waitFor();
    }
  }

  @Test
  void startedNormallySighupReloadsAndNothingIsReportedMissing() throws Exception {
    Path log = dir.resolve("plain.log");
    Process p = start(false, log);
    try {
      awaitLine(log, "event=listening");
      new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).inheritIO().start().waitFor();
      String out = awaitLine(log, "event=reload result=applied");
      assertThat(out).doesNotContain("event=reload-unavailable");
    } finally {
      p.destroy();
      p.waitFor();
    }
  }

  private Process start(boolean nohup, Path log) throws IOException {
    int port = FreePorts.next();
    Path conf = Files.writeString(dir.resolve(nohup + ".conf"), """
        listen = ["inet:127.0.0.1:%d"]
        identities = [ { name = default, ip = ["192.0.2.10"], ehlo = "mail.example.com" } ]
        # nothing answers here: the checks end "unknown", which does not matter for signals
        dns { resolvers = ["127.0.0.1:9"], timeout = 200ms, check-budget = 1s }
        """.formatted(port));
    List<String> command = new ArrayList<>();
    if (nohup) {
      command.add("nohup");
    }
    command.addAll(PtrguardProcess.command("serve", "--config", conf.toString()));
    ProcessBuilder pb = PtrguardProcess.builder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    return pb.start();
  }

  private static String awaitLine(Path log, String needle) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      String out = Files.exists(log) ? Files.readString(log) : "";
      if (out.contains(needle)) {
        return out;
      }
      assertThat(System.nanoTime()).as("no '%s' in:%n%s", needle, out).isLessThan(deadline);
      Thread.sleep(50);
    }
  }
}
