package org.ptrguard.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.net.ListenAddress;

/**
 * The unix socket never exists with a wider mode than configured, not even for an instant: a
 * watcher thread lists the directory as fast as it can while the server binds and unbinds many
 * times, and records the mode of everything it sees there.
 */
class UnixSocketModeWindowTest {
  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;
  private static final int S_IFDIR = 0040000;

  @TempDir
  Path dir;

  @Test
  void noObserverEverSeesTheSocketWithAnotherModeOrTheBindDirectoryOpen() throws Exception {
    Path socket = dir.resolve("milter.sock");
    // 0600 differs from what umask would give a fresh socket (0755 or 0775), so a window would show.
    MilterServerOptions options = MilterServerOptions.defaults()
        .withListeners(List.of(ListenAddress.parse("unix:" + socket))).withUnixSocket("0600", java.util.Optional.empty());
    Map<String, Set<String>> seen = new ConcurrentHashMap<>();
    AtomicLong observations = new AtomicLong();
    AtomicBoolean stop = new AtomicBoolean();
    Thread watcher = new Thread(() -> {
      while (!stop.get()) {
        watch(dir, seen, observations);
      }
    }, "socket-watcher");
    watcher.start();
    try {
      for (int i = 0; i < 30; i++) {
        try (MilterServer server = MilterServer.start(options, new RecordingFactory())) {
          assertThat(Files.getPosixFilePermissions(socket)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        }
      }
    } finally {
      stop.set(true);
      watcher.join();
    }
    assertThat(observations.get()).as("the watcher saw the socket").isPositive();
    assertThat(seen.get("socket")).containsExactly("rw-------");
    // The bind directory, when seen at all, was private to ptrguard's user.
    assertThat(seen.getOrDefault("bind-dir", Set.of("rwx------"))).containsExactly("rwx------");
    assertThat(seen.keySet()).isSubsetOf("socket", "bind-dir");
  }

  /** One pass over the directory: what is there and with which mode. */
  private static void watch(Path dir, Map<String, Set<String>> seen, AtomicLong observations) {
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path p : entries.toList()) {
        try {
          int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
          // Type and permissions from one stat: the entry may vanish between two.
          String perms = UnixSocketFile.permissions(Integer.toOctalString(mode & 0777)).stream()
              .collect(java.util.stream.Collectors.collectingAndThen(java.util.stream.Collectors.toSet(),
                  PosixFilePermissions::toString));
          String name = p.getFileName().toString();
          String kind = (mode & S_IFMT) == S_IFSOCK && name.equals("milter.sock") ? "socket"
              : (mode & S_IFMT) == S_IFDIR && name.startsWith(".ptrguard-") ? "bind-dir" : "other:" + name;
          seen.computeIfAbsent(kind, k -> ConcurrentHashMap.newKeySet()).add(perms);
          if (kind.equals("socket")) {
            observations.incrementAndGet();
          }
        } catch (NoSuchFileException gone) {
          // removed between listing and stat: nothing to see
        }
      }
    } catch (IOException e) {
      // the directory listing raced with a rename; try again
    }
  }
}
