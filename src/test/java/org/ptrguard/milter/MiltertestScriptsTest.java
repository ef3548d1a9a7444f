package org.ptrguard.milter;

import org.ptrguard.net.ListenAddress;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs the Lua scripts in src/test/resources/miltertest against the real server with OpenDKIM's
 * miltertest (Debian package miltertest), an independent implementation of the MTA side.
 */
class MiltertestScriptsTest {
  private static final Path MILTERTEST = Path.of("/usr/bin/miltertest");

  /** The handler each script runs against. */
  static Map<String, Supplier<RecordingFactory>> handlers() {
    return Map.of(
        "negotiation.lua", () -> new RecordingFactory(ProtocolNeeds.builder()
            .events(MilterEvent.CONNECT, MilterEvent.HELO, MilterEvent.MAIL)
            .actions(MilterAction.ADD_HEADERS).build()),
        "sequence.lua", MiltertestScriptsTest::macroChecking,
        "tempfail_helo.lua", () -> new RecordingFactory().replyAt("helo", MilterReply.TEMPFAIL),
        "replycode_eom.lua", () -> {
          RecordingFactory f = new RecordingFactory();
          f.endOfMessage = () -> CompletableFuture.completedFuture(EndOfMessageReply.of(
              MilterReply.replyCode("451 4.7.25 ptrguard: outbound identity not ready")));
          return f;
        },
        "ipv6_conninfo.lua", MiltertestScriptsTest::ipv6Checking,
        "addheader_eom.lua", () -> {
          RecordingFactory f = new RecordingFactory(ProtocolNeeds.builder().actions(MilterAction.ADD_HEADERS).build());
          f.endOfMessage = () -> CompletableFuture.completedFuture(EndOfMessageReply.of(MilterReply.ACCEPT,
              Modification.addHeader("X-PTRGuard", "pass identity=default")));
          return f;
        });
  }

  private static RecordingFactory macroChecking() {
    RecordingFactory f = new RecordingFactory();
    f.replies = stage -> CompletableFuture.completedFuture(MilterReply.CONTINUE);
    f.observer = (stage, ctx) -> {
      if (stage.equals("connect")) {
        boolean ok = ctx.macro("{j}").equals(java.util.Optional.of("mx.example.net"))
            && ctx.macro("client_ptr").equals(java.util.Optional.of("mail.example.org"));
        f.replies = s -> CompletableFuture.completedFuture(s.equals("connect") && !ok ? MilterReply.REJECT : MilterReply.CONTINUE);
      }
    };
    return f;
  }

  private static RecordingFactory ipv6Checking() {
    RecordingFactory f = new RecordingFactory();
    f.replies = stage -> {
      if (!stage.equals("connect")) {
        return MilterHandler.CONTINUE;
      }
      String last = f.calls.get(f.calls.size() - 1);
      return CompletableFuture.completedFuture(
          last.startsWith("connect v6.example.org INET6 ") && last.contains(" 2001:db8:0:0:0:0:0:25 ")
              ? MilterReply.CONTINUE : MilterReply.REJECT);
    };
    return f;
  }

  static Stream<String> scripts() throws IOException, URISyntaxException {
    try (Stream<Path> files = Files.list(scriptDir())) {
      List<String> names = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".lua")).sorted().toList();
      assertThat(names).as("every script has a handler").containsExactlyInAnyOrderElementsOf(handlers().keySet());
      return names.stream();
    }
  }

  private static Path scriptDir() throws URISyntaxException {
    return Path.of(MiltertestScriptsTest.class.getResource("/miltertest").toURI());
  }

  @ParameterizedTest
  @MethodSource("scripts")
  void script(String name) throws Exception {
    assertThat(Files.isExecutable(MILTERTEST))
        .as("miltertest not found at " + MILTERTEST + ": install Debian package miltertest").isTrue();
    RecordingFactory factory = handlers().get(name).get();
    MilterServerOptions options = MilterServerOptions.defaults()
        .withListeners(List.of(new ListenAddress.Inet(InetAddress.getLoopbackAddress(), 0)));
    try (MilterServer server = MilterServer.start(options, factory)) {
      int port = ((InetSocketAddress) server.boundAddresses().get(0)).getPort();
      Process p = new ProcessBuilder(MILTERTEST.toString(), "-v", "-s", scriptDir().resolve(name).toString(), "-D", "port=" + port)
          .redirectErrorStream(true).start();
      boolean done = p.waitFor(30, TimeUnit.SECONDS);
      if (!done) {
        p.destroyForcibly();
      }
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(done).as("miltertest timed out; output:\n" + output).isTrue();
      assertThat(p.exitValue()).as("miltertest " + name + " failed; output:\n" + output + "\nhandler calls: " + factory.calls)
          .isZero();
    }
  }
}
