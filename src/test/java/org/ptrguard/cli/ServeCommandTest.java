package org.ptrguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.milter.MilterServerOptions;
import org.ptrguard.net.ListenAddress;
import org.ptrguard.testing.FreePorts;
import org.ptrguard.testing.MilterTestClient;

class ServeCommandTest {
  @TempDir
  Path dir;

  private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
  private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

  @Test
  void invalidConfigurationExitsWith78AndNamesTheProblem() throws Exception {
    Path conf = dir.resolve("bad.conf");
    Files.writeString(conf, "listen = [\"tcp:1.2.3.4\"]\n");
    int code = ServeCommand.run(new String[] {"--config", conf.toString()}, err, new CountDownLatch(0));
    assertThat(code).isEqualTo(78);
    assertThat(errBytes.toString(StandardCharsets.UTF_8)).contains("configuration is invalid").contains("tcp:1.2.3.4");
  }

  @Test
  void badListenOptionExitsWith78AndUnknownArgumentWith64() {
    for (String bad : new String[] {"inet:127.0.0.1:x", "inet6:8894@127.0.0.1", "local:relative", "tcp:1.2.3.4:5"}) {
      assertThat(ServeCommand.run(new String[] {"--listen=" + bad}, err, new CountDownLatch(0))).as(bad).isEqualTo(78);
      assertThat(errBytes.toString(StandardCharsets.UTF_8)).contains("listener '" + bad + "' is invalid");
    }
    assertThat(ServeCommand.run(new String[] {"--frobnicate"}, err, new CountDownLatch(0))).isEqualTo(64);
  }

  @Test
  void optionsComeFromListenAllowFromAndLimits() throws Exception {
    MilterServerOptions o = Daemon.options(ConfigLoader.parse(String.join("\n",
        "listen = [\"inet:[::1]:9999\", \"unix:/run/ptrguard/milter.sock\"]",
        "allow-from = [\"192.0.2.0/24\"]",
        "limits { max-frame-bytes = 70000, max-connections = 7, idle-timeout = 30s, max-macros-per-stage = 9, max-macro-bytes = 2048 }")),
        List.of());
    assertThat(o.listeners()).extracting(Object::toString).containsExactly("inet:[0:0:0:0:0:0:0:1]:9999", "unix:/run/ptrguard/milter.sock");
    assertThat(o.allowFrom()).extracting(Object::toString).containsExactly("192.0.2.0/24");
    assertThat(o.maxFrameBytes()).isEqualTo(70000);
    assertThat(o.maxConnections()).isEqualTo(7);
    assertThat(o.idleTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(o.maxMacrosPerStage()).isEqualTo(9);
    assertThat(o.maxMacroBytes()).isEqualTo(2048);
    MilterServerOptions overridden = Daemon.options(ConfigLoader.parse(""), List.of(ListenAddress.parse("inet:127.0.0.1:1")));
    assertThat(overridden.listeners()).containsExactly(ListenAddress.parse("inet:127.0.0.1:1"));
  }

  @Test
  void servesTheGuardInAuditModeUntilStopped() throws Exception {
    int port = FreePorts.next();
    CountDownLatch stop = new CountDownLatch(1);
    AtomicInteger exit = new AtomicInteger(-1);
    // Embedded defaults, but routes off: their default (auto) would read this machine's own Postfix.
    Path conf = dir.resolve("defaults.conf");
    Files.writeString(conf, "routes.enabled = no\n");
    Thread t = new Thread(() -> exit.set(ServeCommand.run(
        new String[] {"--config", conf.toString(), "--listen", "inet:127.0.0.1:" + port}, err, stop)));
    t.start();
    MilterTestClient c = null;
    for (int i = 0; i < 200 && c == null; i++) {
      try {
        c = MilterTestClient.connect(new InetSocketAddress("127.0.0.1", port));
      } catch (java.net.ConnectException e) {
        Thread.sleep(25);
      }
    }
    assertThat(c).as("server did not listen").isNotNull();
    try (MilterTestClient client = c) {
      client.negotiate();
      // CONNECT is negotiated as no-reply. Embedded defaults: audit mode, so the guard decides at HELO
      // and lets the session go.
      assertThat(client.connect("c.example", '4', 1, "192.0.2.1")).isEmpty();
      assertThat(client.helo("c.example")).map(MilterTestClient.Reply::code).contains('a');
    }
    stop.countDown();
    t.join(10_000);
    assertThat(exit.get()).isZero();
  }
}
