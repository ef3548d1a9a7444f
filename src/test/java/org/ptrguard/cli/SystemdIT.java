package org.ptrguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.ptrguard.testing.FreePorts;
import org.ptrguard.testing.MilterTestClient;
import org.ptrguard.testing.PtrguardProcess;

/**
 * ptrguard under systemd's two protocols, driven by systemd's own tools and sockets: listeners
 * handed over by {@code systemd-socket-activate} (what a .socket unit does), and readiness, reload
 * and stop reported to a NOTIFY_SOCKET (what {@code Type=notify} listens to).
 */
class SystemdIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private Path dir;
  private Path log;
  private Process process;

  @BeforeEach
  void setUp() throws IOException {
    dir = Files.createTempDirectory("ptrguard-systemd-it");
    log = dir.resolve("ptrguard.log");
    // The configured listener is deliberately unusable: under activation it must be ignored.
    Files.writeString(dir.resolve("ptrguard.conf"), """
        listen = ["inet:127.0.0.1:1"]
        identities = [ { name = default, ip = ["192.0.2.10"], ehlo = "mail.example.com" } ]
        dns { resolvers = ["127.0.0.1:9"], timeout = 200ms, check-budget = 1s }
        """);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (process != null && process.isAlive()) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void servesMilterSessionsOnSocketsHandedOverBySystemd() throws Exception {
    int port = FreePorts.next();
    Path socket = dir.resolve("milter.sock");
    process = start(List.of(tool("systemd-socket-activate"), "-l", "127.0.0.1:" + port, "-l", socket.toString()),
        List.of());
    awaitLog("Listening on " + socket);
    // systemd-socket-activate starts ptrguard on the first connection, which waits in the backlog
    // meanwhile: the same thing Postfix sees while a socket-activated ptrguard restarts.
    try (MilterTestClient tcp = MilterTestClient.connect(new InetSocketAddress("127.0.0.1", port))
        .timeout(TIMEOUT)) {
      assertSessionContinues(tcp);
    }
    awaitLog("event=listening");
    assertThat(logText()).contains("event=socket-activation sockets=2")
        .contains("listeners=\"inet:127.0.0.1:" + port + " unix:" + socket + "\"");
    try (MilterTestClient unix = MilterTestClient.connect(UnixDomainSocketAddress.of(socket)).timeout(TIMEOUT)) {
      assertSessionContinues(unix);
    }
  }

  @Test
  void refusesAnInheritedSocketThatIsNotAListeningStream() throws Exception {
    int port = FreePorts.next();
    process = start(List.of(tool("systemd-socket-activate"), "--datagram", "-l", "127.0.0.1:" + port), List.of());
    awaitLog("Listening on 127.0.0.1:" + port);
    try (java.net.DatagramSocket udp = new java.net.DatagramSocket()) {
      byte[] wake = {1};
      udp.send(new java.net.DatagramPacket(wake, 1, new InetSocketAddress("127.0.0.1", port)));
    }
    assertThat(process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as(logText()).isTrue();
    assertThat(process.exitValue()).isEqualTo(ServeCommand.EXIT_UNAVAILABLE);
    assertThat(logText()).contains("not a listening stream socket");
  }

  @Test
  void reportsReadinessReloadAndStopToTheNotifySocket() throws Exception {
    Path notifyPath = dir.resolve("notify.sock");
    BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try {
      Channel receiver = notifyReceiver(group, notifyPath, messages);
      int port = FreePorts.next();
      process = start(List.of(), List.of("--listen", "inet:127.0.0.1:" + port), "NOTIFY_SOCKET", notifyPath.toString());

      String ready = next(messages);
      assertThat(ready).startsWith("READY=1\n").contains("STATUS=mode=audit listening on inet:127.0.0.1:" + port);
      try (MilterTestClient client = MilterTestClient.connect(new InetSocketAddress("127.0.0.1", port)).timeout(TIMEOUT)) {
        assertSessionContinues(client);
      }

      signal("HUP");
      assertThat(next(messages)).startsWith("RELOADING=1\nMONOTONIC_USEC=");
      assertThat(next(messages)).startsWith("READY=1\n");

      signal("TERM");
      assertThat(next(messages)).isEqualTo("STOPPING=1");
      assertThat(process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      assertThat(process.exitValue()).isEqualTo(143);
      receiver.close().sync();
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  /** 2,000 levels of [ ]: typesafe-config's recursive parser overflowed the stack on them. */
  private static final String DEEP = "a = " + "[".repeat(2_000) + "]".repeat(2_000) + "\n";

  @Test
  void deeplyNestedConfigurationExits78WithOneLineAndARejectedReloadStillSaysReady() throws Exception {
    Path conf = dir.resolve("ptrguard.conf");
    String good = Files.readString(conf);
    Files.writeString(conf, DEEP);
    Process bad = start(List.of(), List.of("--listen", "inet:127.0.0.1:" + FreePorts.next()));
    assertThat(bad.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(bad.exitValue()).as(logText()).isEqualTo(ServeCommand.EXIT_CONFIG);
    assertThat(logText()).contains("nested too deeply").doesNotContain("StackOverflowError");
    assertThat(logText().lines().count()).as(logText()).isLessThanOrEqualTo(3);

    Files.writeString(conf, good);
    Path notifyPath = dir.resolve("notify.sock");
    BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try {
      Channel receiver = notifyReceiver(group, notifyPath, messages);
      int port = FreePorts.next();
      process = start(List.of(), List.of("--listen", "inet:127.0.0.1:" + port), "NOTIFY_SOCKET", notifyPath.toString());
      assertThat(next(messages)).startsWith("READY=1\n");
      Files.writeString(conf, DEEP);
      signal("HUP");
      assertThat(next(messages)).startsWith("RELOADING=1\n");
      assertThat(next(messages)).startsWith("READY=1\n").contains("last reload rejected");
      awaitLog("event=reload result=rejected");
      assertThat(logText()).contains("nested too deeply").doesNotContain("StackOverflowError");
      try (MilterTestClient client = MilterTestClient.connect(new InetSocketAddress("127.0.0.1", port)).timeout(TIMEOUT)) {
        assertSessionContinues(client);
      }
      receiver.close().sync();
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  private static Channel notifyReceiver(EventLoopGroup group, Path path, BlockingQueue<String> messages)
      throws InterruptedException {
    Channel receiver = group.register(new EpollDomainDatagramChannel()).sync().channel();
    receiver.pipeline().addLast(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
      @Override
      protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket packet) {
        messages.add(packet.content().toString(StandardCharsets.UTF_8));
      }
    });
    receiver.bind(new DomainSocketAddress(path.toFile())).sync();
    return receiver;
  }

  private static void assertSessionContinues(MilterTestClient client) throws IOException {
    client.negotiate();
    // CONNECT is negotiated as no-reply.
    assertThat(client.connect("client.example.org", '4', 40000, "192.0.2.99")).isEmpty();
    // Audit mode decides at HELO and steps out of the session: ACCEPT.
    assertThat(client.helo("client.example.org")).hasValueSatisfying(r -> assertThat(r.code()).isEqualTo('a'));
  }

  private Process start(List<String> prefix, List<String> extraArgs, String... env) throws IOException {
    List<String> command = new ArrayList<>(prefix);
    command.addAll(PtrguardProcess.command("serve", "--config", dir.resolve("ptrguard.conf").toString()));
    command.addAll(extraArgs);
    ProcessBuilder pb = PtrguardProcess.builder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    for (int i = 0; i + 1 < env.length; i += 2) {
      pb.environment().put(env[i], env[i + 1]);
    }
    return pb.start();
  }

  private void signal(String name) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
  }

  private String next(BlockingQueue<String> messages) throws Exception {
    String m = messages.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    assertThat(m).as("no notification; ptrguard log:\n" + logText()).isNotNull();
    return m;
  }

  private void awaitLog(String needle) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!logText().contains(needle)) {
      assertThat(System.nanoTime()).as("no '" + needle + "' in:\n" + logText()).isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private String logText() {
    try {
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(cannot read log: " + e + ")";
    }
  }

  private static String tool(String name) {
    for (String d : List.of("/usr/bin", "/bin", "/usr/sbin")) {
      if (Files.isExecutable(Path.of(d, name))) {
        return Path.of(d, name).toString();
      }
    }
    throw new AssertionError(name + " not found: install the Debian package 'systemd'");
  }

}
