package org.ptrguard.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.testing.MilterTestClient;
import org.ptrguard.testing.PtrguardProcess;

/**
 * A unix socket path longer than sun_path allows (107 bytes and the NUL) is a configuration error,
 * in {@code listen}, in {@code --listen} (exit 78 naming the limit) and in a reload (rejected,
 * the running listeners stay). It used to be bound on a short staging path and renamed, so the
 * daemon said "ready" and nobody could connect. A path of exactly 107 bytes is served.
 */
class UnixPathLimitIT {
  @TempDir
  Path dir;

  /** An absolute path under the test's directory, {@code bytes} long. */
  private Path pathOf(int bytes) {
    String base = dir.toString() + "/";
    assertThat(base.length()).isLessThan(bytes - 1);
    return Path.of(base + "s".repeat(bytes - base.length()));
  }

  private Process jar(List<String> args, Path out) throws Exception {
    List<String> serve = new ArrayList<>(List.of("serve"));
    serve.addAll(args);
    return PtrguardProcess.builder(PtrguardProcess.command(List.of("-Xmx64m"), serve.toArray(String[]::new))).redirectErrorStream(true).redirectOutput(out.toFile()).start();
  }

  private static int exitWithin(Process p, int seconds) throws Exception {
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      return -1;
    }
    return p.exitValue();
  }

  private Path config(String listen) throws Exception {
    Path conf = dir.resolve("ptrguard-" + System.nanoTime() + ".conf");
    Files.writeString(conf, """
        listen = [%s]
        identities = [ { name = default, ip = ["192.0.2.10"], ehlo = mail.example.com } ]
        dns { resolvers = ["127.0.0.1:9"], timeout = 200ms, check-budget = 1s }
        """.formatted(listen));
    return conf;
  }

  @Test
  void tooLongPathInTheConfigurationExitsWith78NamingTheLimit() throws Exception {
    Path longPath = pathOf(128);
    Path out = dir.resolve("out-config.txt");
    Process p = jar(List.of("--config", config("\"unix:" + longPath + "\"").toString()), out);
    assertThat(exitWithin(p, 20)).as(Files.readString(out)).isEqualTo(78);
    assertThat(Files.readString(out)).contains("is 128 bytes; the limit is 107").doesNotContain("event=ready");
    assertThat(longPath).doesNotExist();
  }

  @Test
  void tooLongPathInListenOptionExitsWith78NamingTheLimit() throws Exception {
    Path longPath = pathOf(108);
    Path out = dir.resolve("out-option.txt");
    Process p = jar(List.of("--config", config("\"inet:127.0.0.1:0\"").toString(), "--listen", "unix:" + longPath), out);
    assertThat(exitWithin(p, 20)).as(Files.readString(out)).isEqualTo(78);
    assertThat(Files.readString(out)).contains("is 108 bytes; the limit is 107");
  }

  @Test
  void pathOfExactlyTheLimitIsServed() throws Exception {
    Path path = pathOf(107);
    Path out = dir.resolve("out-107.txt");
    Process p = jar(List.of("--config", config("\"unix:" + path + "\"").toString()), out);
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!Files.readString(out).contains("event=listening")) {
        assertThat(p.isAlive()).as(Files.readString(out)).isTrue();
        assertThat(System.nanoTime()).isLessThan(deadline);
        Thread.sleep(50);
      }
      // The JDK's own unix sockets stop at 106 bytes (Postfix, in C, takes 107): reach it by a symlink,
      // which the kernel resolves to the socket bound at the 107-byte path.
      Path link = Files.createSymbolicLink(dir.resolve("l"), path);
      try (MilterTestClient c = MilterTestClient.connect(UnixDomainSocketAddress.of(link)).timeout(Duration.ofSeconds(10))) {
        assertThat(c.negotiate().version()).isEqualTo(6);
      }
    } finally {
      p.destroy();
      p.waitFor(20, TimeUnit.SECONDS);
    }
  }

  @Test
  void reloadWithTooLongPathIsRejectedAndTheDaemonKeepsServing() throws Exception {
    try (PackagedDaemon d = PackagedDaemon.start(dir, "")) {
      Path conf = dir.resolve("ptrguard.conf");
      String text = Files.readString(conf, StandardCharsets.UTF_8);
      String inet = "\"inet:127.0.0.1:" + d.address.getPort() + "\"";
      Files.writeString(conf, text.replace("listen = [" + inet + "]",
          "listen = [" + inet + ", \"unix:" + pathOf(120) + "\"]"));
      new ProcessBuilder("kill", "-HUP", Long.toString(d.process.pid())).start().waitFor();
      d.awaitLog("event=reload result=", 20);
      String line = d.logLines("event=reload result=").get(0);
      assertThat(line).contains("result=rejected").contains("is 120 bytes; the limit is 107");
      try (MilterTestClient c = MilterTestClient.connect(d.address).timeout(Duration.ofSeconds(10))) {
        assertThat(c.negotiate().version()).isEqualTo(6);
      }
    }
  }
}
