package org.ptrguard.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control socket's transport on a real unix socket: framing, bounds, file handling. */
class ControlServerTest {
  @TempDir Path dir;

  private static final ControlServer.Handler ECHO =
      request -> CompletableFuture.completedFuture("{\"ok\":true,\"request\":\"" + request + "\"}");

  @Test
  void answersOneLineWithTheHandlersDocumentAndCreatesTheSocket0660() throws Exception {
    Path socket = dir.resolve("control.sock");
    try (ControlServer server = ControlServer.start(socket, Optional.empty(), ECHO)) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-rw----");
      assertThat(ControlClient.request(socket, "  status ", Duration.ofSeconds(5))).isEqualTo("{\"ok\":true,\"request\":\"status\"}");
      String slow = ControlClient.request(dir.resolve("control.sock"), "recheck", Duration.ofSeconds(5));
      assertThat(slow).contains("recheck");
    }
    assertThat(socket).as("removed at close").doesNotExist();
  }

  @Test
  void aTooLongLineGetsAnErrorNotAReset() throws Exception {
    Path socket = dir.resolve("control.sock");
    try (ControlServer server = ControlServer.start(socket, Optional.empty(), ECHO)) {
      String answer = ControlClient.request(socket, "y".repeat(100_000), Duration.ofSeconds(5));
      assertThat(answer).contains("\"ok\":false", "longer than " + ControlServer.MAX_REQUEST_BYTES);
    }
  }

  @Test
  void aHandlerThatFailsIsAnErrorDocument() throws Exception {
    Path socket = dir.resolve("control.sock");
    try (ControlServer server = ControlServer.start(socket, Optional.empty(),
        request -> CompletableFuture.failedFuture(new IllegalStateException("broken section")))) {
      assertThat(ControlClient.request(socket, "status", Duration.ofSeconds(5)))
          .contains("\"ok\":false", "internal error", "broken section");
    }
  }

  @Test
  void aStaleSocketIsReplacedButALiveOneOrAnotherFileIsNot() throws Exception {
    Path socket = dir.resolve("control.sock");
    try (ServerSocketChannel stale = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      stale.bind(UnixDomainSocketAddress.of(socket));
      // still bound and listening: a live daemon
      assertThatThrownBy(() -> ControlServer.start(socket, Optional.empty(), ECHO))
          .isInstanceOf(IOException.class).hasMessageContaining("another process");
    }
    // closed, the file stays behind: stale
    assertThat(socket).exists();
    try (ControlServer server = ControlServer.start(socket, Optional.empty(), ECHO)) {
      assertThat(ControlClient.request(socket, "status", Duration.ofSeconds(5))).contains("\"ok\":true");
    }
    Path file = Files.writeString(dir.resolve("notes.txt"), "keep me");
    assertThatThrownBy(() -> ControlServer.start(file, Optional.empty(), ECHO)).hasMessageContaining("not a socket");
    assertThat(file).hasContent("keep me");
    assertThatThrownBy(() -> ControlServer.start(dir.resolve("missing/control.sock"), Optional.empty(), ECHO))
        .isInstanceOf(java.nio.file.NoSuchFileException.class);
  }

  @Test
  void theClientNamesTheProblemWhenNoDaemonListens() {
    assertThatThrownBy(() -> ControlClient.request(dir.resolve("none.sock"), "status", Duration.ofSeconds(2)))
        .isInstanceOfSatisfying(ControlClient.Unavailable.class, e -> {
          assertThat(e.getMessage()).contains("no control socket at", "not running");
          assertThat(e.noPermission()).isFalse();
        });
  }
}
