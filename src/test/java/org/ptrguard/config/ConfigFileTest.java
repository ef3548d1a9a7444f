package org.ptrguard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.config.ConfigLoader.LoadedConfig;
import org.ptrguard.config.Settings.Mode;

/** Reading the admin's file: nesting, includes, and files caught in the middle of an edit. */
class ConfigFileTest {
  @TempDir Path dir;

  private LoadedConfig load(Path file) throws ConfigException {
    return ConfigLoader.load(Optional.of(file), dir.resolve("absent.conf"), Map.of());
  }

  private Path write(String name, String text) throws Exception {
    return Files.writeString(dir.resolve(name), text);
  }

  static String nested(int levels) {
    return "a = " + "[".repeat(levels) + "]".repeat(levels) + "\n";
  }

  @Test
  void deepNestingIsOneProblemNotAStackOverflow() throws Exception {
    for (int levels : new int[] {40, 2_000, 50_000}) {
      Path file = write("deep.conf", nested(levels));
      assertThatThrownBy(() -> load(file)).as(levels + " levels").isInstanceOfSatisfying(ConfigException.class,
          e -> assertThat(e.problems()).singleElement().asString()
              .contains("nested too deeply").contains("more than " + ConfigLoader.MAX_DEPTH).doesNotContain("\n"));
      assertThatThrownBy(() -> ConfigLoader.parse(nested(levels))).isInstanceOf(ConfigException.class)
          .hasMessageContaining("nested too deeply");
    }
    String objects = "a = " + "{ b = ".repeat(2_000) + "1" + " }".repeat(2_000) + "\n";
    assertThatThrownBy(() -> ConfigLoader.parse(objects)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("nested too deeply");
  }

  @Test
  void ordinaryNestingStillLoads() throws Exception {
    assertThat(load(write("ok.conf", "x = " + "[".repeat(20) + "]".repeat(20) + "\nmode = enforce\n"))
        .settings().mode()).isEqualTo(Mode.ENFORCE);
  }

  @Test
  void includeUrlIsRefusedWithoutTouchingTheNetwork() throws Exception {
    try (ServerSocket web = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      web.setSoTimeout(300);
      Path file = write("ptrguard.conf", "include url(\"http://127.0.0.1:" + web.getLocalPort() + "/x.conf\")\n"
          + "include \"http://127.0.0.1:" + web.getLocalPort() + "/y.conf\"\n");
      CompletableFuture<ConfigException> loading = CompletableFuture.supplyAsync(() -> {
        try {
          load(file);
          return null;
        } catch (ConfigException e) {
          return e;
        }
      });
      boolean contacted;
      try (var ignored = web.accept()) {
        contacted = true;
      } catch (SocketTimeoutException e) {
        contacted = false;
      }
      assertThat(contacted).as("the loader connected to the URL").isFalse();
      ConfigException e = loading.get(10, TimeUnit.SECONDS);
      assertThat(e).isNotNull();
      assertThat(String.join("\n", e.problems())).contains("must not reach the network");
    }
    assertThatThrownBy(() -> ConfigLoader.parse("include url(\"http://127.0.0.1:9/x\")"))
        .isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> load(write("cp.conf", "include classpath(\"reference.conf\")\n")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("only local files");
  }

  @Test
  void missingOptionalIncludeIsAWarningAndMissingRequiredOneAnError() throws Exception {
    Files.createDirectories(dir.resolve("conf.d"));
    write("conf.d/mode.conf", "mode = enforce\n");
    LoadedConfig loaded = load(write("ptrguard.conf", "include \"conf.d/mode.conf\"\ninclude \"missing.conf\"\n"));
    assertThat(loaded.settings().mode()).as("the relative include was read").isEqualTo(Mode.ENFORCE);
    assertThat(loaded.warnings()).anySatisfy(w -> assertThat(w).contains("missing.conf").contains("no such file"));
    assertThatThrownBy(() -> load(write("req.conf", "include required(\"missing.conf\")\n")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("missing.conf");
  }

  @Test
  void anEmptyFileThatStaysEmptyIsLoadedWithAWarning() throws Exception {
    Path file = write("empty.conf", "");
    long t0 = System.nanoTime();
    LoadedConfig loaded = load(file);
    long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertThat(loaded.settings().mode()).isEqualTo(Mode.AUDIT);
    assertThat(loaded.warnings()).anySatisfy(w -> assertThat(w).contains("empty"));
    assertThat(waitedMs).as("a fresh empty file is watched before it is believed")
        .isGreaterThanOrEqualTo(ConfigFile.QUIET_WHEN_BLANK.toMillis() - 100);
    // An old empty file has long been stable: no wait.
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().minusSeconds(60)));
    assertThat(load(file).settings().mode()).isEqualTo(Mode.AUDIT);
  }

  @Test
  void aFileTruncatedMidEditIsReadOnceTheWriterIsDone() throws Exception {
    Path file = write("ptrguard.conf", "mode = audit\n");
    Files.writeString(file, ""); // the truncate of an in-place rewrite ...
    CompletableFuture<LoadedConfig> loading = CompletableFuture.supplyAsync(() -> {
      try {
        return load(file);
      } catch (ConfigException e) {
        throw new IllegalStateException(e);
      }
    });
    Thread.sleep(300);
    Files.writeString(file, "mode = enforce\n"); // ... and its write, a moment later
    LoadedConfig loaded = loading.get(10, TimeUnit.SECONDS);
    assertThat(loaded.settings().mode()).isEqualTo(Mode.ENFORCE);
    assertThat(loaded.warnings()).noneSatisfy(w -> assertThat(w).contains("empty"));
  }
}
