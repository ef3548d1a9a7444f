package org.ptrguard.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A private Postfix instance for tests: its own main.cf, master.cf, queue, data and log directories
 * under {@code /tmp/ptrguard-postfix/}, an smtpd on a free loopback port (IPv4, optionally [::1]),
 * or on given addresses inside a network namespace ({@link Builder#inNetworkNamespace(String)}),
 * and no change to the system's /etc/postfix. Several instances can run at once.
 *
 * <p>Lifecycle: {@link #builder(String)} ... {@link Builder#build()} writes and checks the
 * configuration, {@link #start()} starts the master and proves smtpd answers, {@link #close()} stops
 * it and removes the directory. A JVM shutdown hook stops instances a test forgot, and the next run
 * reaps instances whose JVM died without running its hooks.
 */
public final class PrivatePostfix implements AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PrivatePostfix.class);
  private static final Path ROOT = Path.of("/tmp/ptrguard-postfix");
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
  private static final AtomicInteger SEQUENCE = new AtomicInteger();
  private static final Set<PrivatePostfix> RUNNING = Collections.synchronizedSet(new LinkedHashSet<>());
  private static boolean reaped;

  private final String name;
  private final Path baseDir;
  private final Path configDir;
  private final Path maillogFile;
  private final Map<String, String> mainCf;
  private final Map<String, Integer> listenerPorts;
  private final boolean ipv6;
  private final String ipv4Listen;
  private final String ipv6Listen;
  private final List<String> commandPrefix;
  private final boolean probeOnStart;
  private boolean started;

  private PrivatePostfix(Builder builder, Path baseDir, Map<String, String> mainCf) {
    this.name = builder.name;
    this.baseDir = baseDir;
    this.configDir = baseDir.resolve("conf");
    this.maillogFile = baseDir.resolve("log/maillog");
    this.mainCf = mainCf;
    this.listenerPorts = Map.copyOf(builder.listenerPorts);
    this.ipv6 = builder.ipv6;
    this.ipv4Listen = builder.ipv4Listen;
    this.ipv6Listen = builder.ipv6Listen;
    this.commandPrefix = List.copyOf(builder.commandPrefix);
    this.probeOnStart = builder.probeOnStart;
  }

  /** A builder for an instance; {@code name} becomes part of its directory, myhostname and syslog_name. */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Starts the master; fails with Postfix's own words (stderr, maillog, syslog) if it cannot. */
  public synchronized PrivatePostfix start() {
    if (started) {
      return this;
    }
    long t0 = System.nanoTime();
    LogMark before = mark();
    try {
      // build() already ran postfix check; this marker makes "postfix start" skip its repeat (~2 s)
      Files.writeString(baseDir.resolve("queue/quick-start"), "");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ProcessResult result = postfix("start");
    if (!result.ok()) {
      // The master's own fatal (e.g. "bind ...: Cannot assign requested address") is in the maillog
      // because postlog is the last master.cf service: see masterCf().
      throw new IllegalStateException("postfix " + name + " did not start.\n" + result.describe()
          + "\n--- maillog ---\n" + maillogSince(before));
    }
    started = true;
    RUNNING.add(this);
    if (!commandPrefix.isEmpty()) {
      // inside a network namespace: /proc/net/tcp and connects from this JVM see another stack
      LOG.info("postfix started name={} commandPrefix={} (not probed)", name, commandPrefix);
      return this;
    }
    verifyPortsNotShared();
    if (probeOnStart) {
      probeSmtpd(before);
    }
    LOG.info("postfix started name={} port={} ms={}", name, smtpPort(), (System.nanoTime() - t0) / 1_000_000);
    return this;
  }

  /** Stops the master and every process of this instance; safe to call repeatedly. */
  public synchronized void stop() {
    if (!started) {
      return;
    }
    started = false;
    RUNNING.remove(this);
    long t0 = System.nanoTime();
    stopInstance(configDir, baseDir.resolve("queue"));
    LOG.info("postfix stopped name={} ms={}", name, (System.nanoTime() - t0) / 1_000_000);
  }

  /** Stops the instance and deletes its directory (kept when the JVM property keepPostfix is set). */
  @Override
  public void close() {
    stop();
    if (System.getProperty("ptrguard.keepPostfix") == null) {
      deleteTree(baseDir);
    }
  }

  /** {@code postfix reload}: new smtpd processes use the changed main.cf; running ones finish first. */
  public void reload() {
    requireOk(postfix("reload"));
  }

  /** Changes one main.cf parameter with postconf -e (call {@link #reload()} if the instance runs). */
  public void setParameter(String parameter, String value) {
    requireOk(run(List.of("postconf", "-c", configDir.toString(), "-e", parameter + " = " + value), null));
    mainCf.put(parameter, value);
  }

  public boolean isRunning() {
    return masterPid(baseDir.resolve("queue")).isPresent();
  }

  // ---------------------------------------------------------------- addresses and names

  public String name() {
    return name;
  }

  public String myhostname() {
    return mainCf.get("myhostname");
  }

  /** Tag of this instance's log lines ({@code syslog_name}), unique per instance. */
  public String syslogName() {
    return mainCf.get("syslog_name");
  }

  public Path configDir() {
    return configDir;
  }

  public Path baseDir() {
    return baseDir;
  }

  public String parameter(String name) {
    return mainCf.get(name);
  }

  /** Port of the main smtpd listener. */
  public int smtpPort() {
    return listenerPort("smtp");
  }

  /** Port of a listener added with {@link Builder#smtpdListener(String, String...)}. */
  public int listenerPort(String label) {
    Integer port = listenerPorts.get(label);
    if (port == null) {
      throw new IllegalArgumentException("no listener '" + label + "' in " + name + ": " + listenerPorts.keySet());
    }
    return port;
  }

  public InetSocketAddress smtpAddress() {
    return new InetSocketAddress(ipv4Listen, smtpPort());
  }

  public InetSocketAddress smtpAddressIpv6() {
    if (!ipv6) {
      throw new IllegalStateException(name + " was built without IPv6 listeners");
    }
    return new InetSocketAddress(ipv6Listen, smtpPort());
  }

  // ---------------------------------------------------------------- logs

  /** The whole maillog so far. */
  public String maillog() {
    try {
      return Files.exists(maillogFile) ? Files.readString(maillogFile, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A position in the maillog, to look only at what a test case caused. */
  public LogMark mark() {
    return new LogMark(maillog().length());
  }

  public String maillogSince(LogMark mark) {
    String log = maillog();
    return log.length() >= mark.offset() ? log.substring(mark.offset()) : log;
  }

  /** Lines of the maillog since {@code mark} that match {@code regex} (found anywhere in the line). */
  public List<String> logLinesSince(LogMark mark, String regex) {
    Pattern pattern = Pattern.compile(regex);
    return maillogSince(mark).lines().filter(line -> pattern.matcher(line).find()).toList();
  }

  public String waitForLog(String regex, Duration timeout) {
    return waitForLog(new LogMark(0), regex, timeout);
  }

  /** Waits until a maillog line after {@code mark} matches {@code regex}; returns that line. */
  public String waitForLog(LogMark mark, String regex, Duration timeout) {
    Pattern pattern = Pattern.compile(regex);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<String> hit = maillogSince(mark).lines().filter(l -> pattern.matcher(l).find()).findFirst();
      if (hit.isPresent()) {
        return hit.get();
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no maillog line matching /" + regex + "/ of " + name + " within " + timeout
            + "\n--- maillog since mark ---\n" + tail(maillogSince(mark), 60));
      }
      sleep(50);
    }
  }

  /** A mark into the maillog: a character offset. */
  public record LogMark(int offset) {}

  // ---------------------------------------------------------------- queue

  /** Every message in every queue (maildrop, incoming, active, deferred, hold). */
  public List<QueuedMessage> queue() {
    ProcessResult result = requireOk(run(List.of("postqueue", "-c", configDir.toString(), "-j"), null));
    // postqueue walks the queue directories one after the other, so a message that the queue
    // manager moves during the walk (active -> deferred) is listed twice: keep its last sighting.
    Map<String, QueuedMessage> byId = new LinkedHashMap<>();
    result.stdout().lines().filter(l -> !l.isBlank()).map(QueuedMessage::parseJsonLine)
        .forEach(m -> byId.put(m.queueId(), m));
    return List.copyOf(byId.values());
  }

  public int queueCount() {
    return queue().size();
  }

  public int holdCount() {
    return (int) queue().stream().filter(QueuedMessage::onHold).count();
  }

  public List<String> queueIds() {
    return queue().stream().map(QueuedMessage::queueId).toList();
  }

  /** {@code postqueue -f}: attempt delivery of all deferred mail now. */
  public void flush() {
    requireOk(run(List.of("postqueue", "-c", configDir.toString(), "-f"), null));
  }

  /** {@code postsuper -H ALL}: release held mail (it goes back to the deferred queue; then flush). */
  public void releaseHeld() {
    requireOk(run(List.of("postsuper", "-c", configDir.toString(), "-H", "ALL"), null));
  }

  /** {@code postsuper -d ALL}: delete every queued message, so one shared instance starts each case empty. */
  public void purgeQueue() {
    requireOk(run(List.of("postsuper", "-c", configDir.toString(), "-d", "ALL"), null));
  }

  /**
   * Submits a message through this instance's sendmail(1) (postdrop, pickup, cleanup), the path that
   * non_smtpd_milters see. {@code message} uses LF or CRLF line ends.
   */
  public ProcessResult sendmail(String sender, List<String> recipients, String message) {
    List<String> command = new ArrayList<>(List.of("sendmail", "-C", configDir.toString(), "-i", "-f", sender, "--"));
    command.addAll(recipients);
    return run(command, message.getBytes(StandardCharsets.UTF_8));
  }

  /** Runs any Postfix command-line tool against this instance's configuration ({@code -c DIR} added). */
  public ProcessResult postfix(String... args) {
    List<String> command = new ArrayList<>(List.of("postfix", "-c", configDir.toString()));
    command.addAll(List.of(args));
    return run(command, null);
  }

  /** Runs a command where this instance lives (inside its network namespace, if it has one). */
  public ProcessResult run(List<String> command, byte[] stdin) {
    List<String> full = new ArrayList<>(commandPrefix);
    full.addAll(command);
    return Commands.run(COMMAND_TIMEOUT, full, Map.of(), stdin);
  }

  @Override
  public String toString() {
    return "PrivatePostfix[" + name + " port=" + smtpPort() + " dir=" + baseDir + "]";
  }

  // ---------------------------------------------------------------- internals

  /**
   * Reads smtpd's greeting. A smtpd that dies on a bad parameter leaves the connection in the listen
   * backlog with nobody to answer, so instead of waiting out a long timeout this watches the maillog
   * for the fatal that says why.
   */
  private void probeSmtpd(LogMark since) {
    InetSocketAddress address = smtpAddress();
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    String problem = "no answer";
    try (Socket socket = new Socket()) {
      socket.connect(address, 5_000);
      socket.setSoTimeout(200);
      StringBuilder greeting = new StringBuilder();
      while (System.nanoTime() < deadline) {
        try {
          int b = socket.getInputStream().read();
          if (b == -1) {
            problem = "connection closed after \"" + greeting + "\"";
            break;
          }
          greeting.append((char) b);
          if (b == '\n') {
            if (greeting.toString().startsWith("220")) {
              socket.getOutputStream().write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
              return;
            }
            problem = "greeting " + greeting.toString().strip();
            break;
          }
        } catch (java.net.SocketTimeoutException quiet) {
          if (!logLinesSince(since, " (fatal|panic): ").isEmpty()) {
            problem = "smtpd failed";
            break;
          }
        }
      }
    } catch (IOException e) {
      problem = e.toString();
    }
    throw new IllegalStateException("postfix " + name + " started, but its smtpd on " + address
        + " does not greet: " + problem + "\n--- maillog ---\n" + tail(maillogSince(since), 40));
  }

  /**
   * Postfix listens with SO_REUSEPORT, so a second instance on the same port (another test run that
   * drew the same number) starts without error and then steals connections. Detect it here.
   */
  private void verifyPortsNotShared() {
    int expected = ipv6 ? 2 : 1;
    for (Map.Entry<String, Integer> listener : listenerPorts.entrySet()) {
      long count = listeningSockets(listener.getValue());
      if (count > expected) {
        stop();
        throw new IllegalStateException("port " + listener.getValue() + " of " + name + " (" + listener.getKey()
            + ") is also listened on by another process; retry the test");
      }
    }
  }

  private static long listeningSockets(int port) {
    String hexPort = String.format(":%04X ", port);
    long count = 0;
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      try (Stream<String> lines = Files.lines(Path.of(table))) {
        // columns: sl local_address rem_address st ...; st 0A is LISTEN
        count += lines.skip(1).map(String::trim).map(l -> l.split("\\s+"))
            .filter(cols -> cols.length > 3 && (cols[1] + " ").endsWith(hexPort) && cols[3].equals("0A"))
            .count();
      } catch (IOException e) {
        // no IPv6 table when IPv6 is disabled
      }
    }
    return count;
  }

  private ProcessResult requireOk(ProcessResult result) {
    if (!result.ok()) {
      throw new IllegalStateException("postfix " + name + ": " + result.describe()
          + "\n--- maillog tail ---\n" + tail(maillog(), 20));
    }
    return result;
  }

  private static void stopInstance(Path configDir, Path queueDir) {
    Optional<Long> master = masterPid(queueDir);
    if (master.isPresent()) {
      // SIGTERM is what "postfix stop" sends too, but the script then polls in whole seconds
      ProcessHandle.of(master.get()).ifPresent(handle -> {
        handle.destroy();
        // polled: ProcessHandle.onExit() of a non-child process reacts only after about two seconds
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (handle.isAlive() && System.nanoTime() < deadline) {
          sleep(20);
        }
        if (handle.isAlive()) {
          handle.destroyForcibly();
        }
      });
    }
    killProcessesOf(configDir);
  }

  /** The master's pid while it runs (the pid file exists, and that pid is a live master process). */
  private static Optional<Long> masterPid(Path queueDir) {
    try {
      Path pidFile = queueDir.resolve("pid/master.pid");
      if (!Files.exists(pidFile)) {
        return Optional.empty();
      }
      long pid = Long.parseLong(Files.readString(pidFile).trim());
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
          .filter(h -> h.info().command().map(c -> c.endsWith("/master")).orElse(false))
          .map(ProcessHandle::pid);
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Children inherit MAIL_CONFIG from the master: kill any that outlived it (e.g. a busy smtpd). */
  private static void killProcessesOf(Path configDir) {
    String marker = "MAIL_CONFIG=" + configDir;
    ProcessHandle.allProcesses().forEach(process -> {
      try {
        byte[] environ = Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), "environ"));
        for (String entry : new String(environ, StandardCharsets.UTF_8).split("\0")) {
          if (entry.equals(marker)) {
            process.destroyForcibly();
            break;
          }
        }
      } catch (IOException | SecurityException e) {
        // gone meanwhile, or a process we may not read: not ours either way
      }
    });
  }

  /** Stops instances of JVMs that died without running their shutdown hooks (kill -9, OOM). */
  private static synchronized void reapOrphans() {
    if (reaped) {
      return;
    }
    reaped = true;
    if (!Files.isDirectory(ROOT)) {
      return;
    }
    try (Stream<Path> dirs = Files.list(ROOT)) {
      for (Path dir : dirs.toList()) {
        Path owner = dir.resolve("owner.pid");
        long ownerPid = -1;
        try {
          ownerPid = Long.parseLong(Files.readString(owner).trim());
        } catch (IOException | NumberFormatException e) {
          // an instance directory being created right now has no owner file yet: leave it alone
          continue;
        }
        if (ProcessHandle.of(ownerPid).map(ProcessHandle::isAlive).orElse(false)) {
          continue;
        }
        stopInstance(dir.resolve("conf"), dir.resolve("queue"));
        deleteTree(dir);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void installShutdownHook() {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      List<PrivatePostfix> left;
      synchronized (RUNNING) {
        left = new ArrayList<>(RUNNING);
      }
      left.forEach(PrivatePostfix::close);
    }, "private-postfix-stop"));
  }

  static {
    installShutdownHook();
  }

  static String tail(String text, int lines) {
    List<String> all = text.lines().toList();
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void deleteTree(Path dir) {
    try {
      TestFiles.deleteTree(dir);
    } catch (UncheckedIOException e) {
      // a postfix child still writing: the next run's reaper removes it
    }
  }

  // ---------------------------------------------------------------- builder

  /** Collects main.cf parameters and master.cf lines; {@link #build()} writes and checks them. */
  public static final class Builder {
    private final String name;
    private final Map<String, String> parameters = new LinkedHashMap<>();
    private final List<String> masterLines = new ArrayList<>();
    private final Map<String, Integer> listenerPorts = new LinkedHashMap<>();
    private final Map<String, List<String>> listenerOverrides = new LinkedHashMap<>();
    private boolean ipv6;
    private String ipv4Listen = "127.0.0.1";
    private String ipv6Listen = "::1";
    private final List<String> commandPrefix = new ArrayList<>();
    private boolean strictParameters = true;
    private boolean probeOnStart = true;

    private Builder(String name) {
      if (!name.matches("[a-z][a-z0-9-]{0,30}")) {
        throw new IllegalArgumentException("instance name must be a short DNS label: " + name);
      }
      this.name = name;
    }

    /** Sets a main.cf parameter (overrides the harness default of the same name). */
    public Builder parameter(String parameter, String value) {
      parameters.put(parameter, value);
      return this;
    }

    public Builder myhostname(String hostname) {
      return parameter("myhostname", hostname);
    }

    /** Also listen on [::1] (same port numbers); fails at build time if ::1 is unavailable. */
    public Builder ipv6(boolean enabled) {
      this.ipv6 = enabled;
      return this;
    }

    /** Listens on this IPv4 address instead of 127.0.0.1 (e.g. a lab address inside a namespace). */
    public Builder listenOn(String ipv4Address) {
      this.ipv4Listen = ipv4Address;
      return this;
    }

    /** Also listens on this IPv6 address instead of ::1. */
    public Builder listenOnIpv6(String ipv6Address) {
      this.ipv6Listen = ipv6Address;
      this.ipv6 = true;
      return this;
    }

    /**
     * Runs every Postfix command (check, start, postqueue, sendmail ...) inside a network namespace the
     * test created ({@code ip netns exec NAME ...}), so listeners bind the namespace's addresses. The
     * start-up probe is skipped there: this JVM cannot connect into the namespace.
     */
    public Builder inNetworkNamespace(String namespace) {
      commandPrefix.clear();
      commandPrefix.addAll(List.of("ip", "netns", "exec", namespace));
      return this;
    }

    /** Sends all non-local mail to the sink ({@code relayhost = [127.0.0.1]:port}). */
    public Builder relayTo(SmtpSink sink) {
      return parameter("relayhost", "[127.0.0.1]:" + sink.port());
    }

    /** Adds a raw master.cf line (e.g. a transport service); listener ports: see smtpdListener. */
    public Builder masterCfLine(String line) {
      masterLines.add(line);
      return this;
    }

    /**
     * Adds another smtpd listener on its own free port with {@code -o} overrides, e.g.
     * {@code smtpdListener("submission", "-o", "smtpd_milters=inet:127.0.0.1:8894")}. Its port is
     * {@link PrivatePostfix#listenerPort(String)}.
     */
    public Builder smtpdListener(String label, String... overrides) {
      if (label.equals("smtp") || listenerPorts.containsKey(label)) {
        throw new IllegalArgumentException("listener label already used: " + label);
      }
      listenerPorts.put(label, FreePorts.next());
      listenerOverrides.put(label, List.of(overrides));
      return this;
    }

    /** By default a main.cf parameter Postfix does not know (a typo) fails the build; this allows it. */
    public Builder allowUnknownParameters() {
      this.strictParameters = false;
      return this;
    }

    /** By default start() proves smtpd greets (one short SMTP connection); this skips that probe. */
    public Builder skipStartProbe() {
      this.probeOnStart = false;
      return this;
    }

    /** Writes the configuration and runs {@code postfix check}; does not start the instance. */
    public PrivatePostfix build() {
      long t0 = System.nanoTime();
      requireTools();
      if (ipv6 && commandPrefix.isEmpty() && ipv6Listen.equals("::1") && !Loopback.hasIpv6()) {
        throw new IllegalStateException("IPv6 requested but ::1 cannot be bound in this network namespace");
      }
      reapOrphans();
      Path baseDir = createBaseDir();
      Map<String, String> mainCf = defaults(baseDir);
      mainCf.putAll(parameters);
      Map<String, Integer> ports = new LinkedHashMap<>();
      ports.put("smtp", FreePorts.next());
      ports.putAll(listenerPorts);
      listenerPorts.clear();
      listenerPorts.putAll(ports);
      try {
        writeConfig(baseDir, mainCf);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the configuration of " + name, e);
      }
      PrivatePostfix postfix = new PrivatePostfix(this, baseDir, mainCf);
      checkConfig(postfix);
      LOG.info("postfix built name={} dir={} ms={}", name, baseDir, (System.nanoTime() - t0) / 1_000_000);
      return postfix;
    }

    private static void requireTools() {
      for (String tool : List.of("postfix", "postconf", "postqueue", "postsuper", "sendmail")) {
        Commands.require(tool, "postfix");
      }
    }

    private Path createBaseDir() {
      try {
        Files.createDirectories(ROOT);
        // postfix daemons run as user postfix and must traverse every level of the queue path
        Files.setPosixFilePermissions(ROOT, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path dir = ROOT.resolve(name + "-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet()
            + "-" + UUID.randomUUID().toString().substring(0, 6));
        Files.createDirectory(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(dir.resolve("owner.pid"), Long.toString(ProcessHandle.current().pid()));
        for (String sub : List.of("conf", "queue", "data", "log")) {
          Files.createDirectory(dir.resolve(sub));
          Files.setPosixFilePermissions(dir.resolve(sub), PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
        Files.setOwner(dir.resolve("data"), users.lookupPrincipalByName("postfix"));
        return dir;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create an instance directory under " + ROOT, e);
      }
    }

    private Map<String, String> defaults(Path dir) {
      Map<String, String> cf = new LinkedHashMap<>();
      cf.put("compatibility_level", "3.6");
      cf.put("queue_directory", dir.resolve("queue").toString());
      cf.put("data_directory", dir.resolve("data").toString());
      cf.put("meta_directory", "/etc/postfix");
      cf.put("shlib_directory", "/usr/lib/postfix");
      cf.put("daemon_directory", "/usr/lib/postfix/sbin");
      cf.put("command_directory", "/usr/sbin");
      cf.put("mail_owner", "postfix");
      cf.put("setgid_group", "postdrop");
      cf.put("syslog_name", "postfix-" + name);
      cf.put("myhostname", name + ".mta.test");
      cf.put("mydomain", "mta.test");
      cf.put("myorigin", "$myhostname");
      cf.put("mydestination", "");
      cf.put("local_recipient_maps", "");
      cf.put("alias_maps", "");
      cf.put("alias_database", "");
      cf.put("inet_interfaces", ipv4Listen + (ipv6 ? ", [" + ipv6Listen + "]" : ""));
      cf.put("inet_protocols", ipv6 ? "all" : "ipv4");
      // loopback plus the instance's own addresses: a test client on the same host may relay
      Set<String> networks = new LinkedHashSet<>(List.of("127.0.0.0/8", ipv4Listen + "/32"));
      if (ipv6) {
        networks.addAll(List.of("[::1]/128", "[" + ipv6Listen + "]/128"));
      }
      cf.put("mynetworks", String.join(" ", networks));
      cf.put("maillog_file", dir.resolve("log/maillog").toString());
      cf.put("maillog_file_prefixes", dir.resolve("log").toString());
      cf.put("smtpd_banner", "$myhostname ESMTP");
      cf.put("biff", "no");
      // Without a relay, mail stays queued instead of trying MX lookups on the Internet.
      cf.put("defer_transports", parameters.containsKey("relayhost") ? "" : "smtp");
      // Retry deferred mail quickly so a test that fixes something sees delivery within seconds.
      cf.put("queue_run_delay", "2s");
      cf.put("minimal_backoff_time", "2s");
      cf.put("maximal_backoff_time", "4s");
      return cf;
    }

    private void writeConfig(Path dir, Map<String, String> mainCf) throws IOException {
      Path conf = dir.resolve("conf");
      StringBuilder main = new StringBuilder("# private test instance '" + name + "', written by PrivatePostfix\n");
      mainCf.forEach((k, v) -> main.append(k).append(" = ").append(v).append('\n'));
      Files.writeString(conf.resolve("main.cf"), main.toString());
      Files.copy(Path.of("/etc/postfix/dynamicmaps.cf"), conf.resolve("dynamicmaps.cf"));
      Files.writeString(conf.resolve("master.cf"), masterCf());
    }

    private String masterCf() {
      StringBuilder master = new StringBuilder("# chroot column is n everywhere: milter sockets and DNS work\n");
      for (Map.Entry<String, Integer> listener : listenerPorts.entrySet()) {
        List<String> overrides = listenerOverrides.getOrDefault(listener.getKey(), List.of());
        String args = overrides.isEmpty() ? "" : "\n  " + String.join(" ", overrides);
        master.append(ipv4Listen).append(':').append(listener.getValue()).append(" inet n - n - - smtpd").append(args).append('\n');
        if (ipv6) {
          master.append('[').append(ipv6Listen).append("]:").append(listener.getValue()).append(" inet n - n - - smtpd").append(args).append('\n');
        }
      }
      master.append("""
          pickup    unix  n       -       n       60      1       pickup
          cleanup   unix  n       -       n       -       0       cleanup
          qmgr      unix  n       -       n       300     1       qmgr
          rewrite   unix  -       -       n       -       -       trivial-rewrite
          bounce    unix  -       -       n       -       0       bounce
          defer     unix  -       -       n       -       0       bounce
          trace     unix  -       -       n       -       0       bounce
          verify    unix  -       -       n       -       1       verify
          flush     unix  n       -       n       1000?   0       flush
          proxymap  unix  -       -       n       -       -       proxymap
          smtp      unix  -       -       n       -       -       smtp
          relay     unix  -       -       n       -       -       smtp
          showq     unix  n       -       n       -       -       showq
          error     unix  -       -       n       -       -       error
          retry     unix  -       -       n       -       -       error
          discard   unix  -       -       n       -       -       discard
          anvil     unix  -       -       n       -       1       anvil
          scache    unix  -       -       n       -       1       scache
          """);
      masterLines.forEach(line -> master.append(line).append('\n'));
      // Last on purpose: while the master binds the services above, the postlog socket does not exist
      // yet, so a fatal bind error is written straight to maillog_file. Listed first, the message would
      // go into a postlog socket that no postlogd ever reads, and with maillog_file set nothing at all
      // goes to syslog (/dev/log): the start would fail in silence.
      master.append("postlog   unix-dgram n  -       n       -       1       postlogd\n");
      return master.toString();
    }

    /** postconf -n names unknown parameters; postfix check validates paths, owners and master.cf. */
    private void checkConfig(PrivatePostfix postfix) {
      String conf = postfix.configDir.toString();
      ProcessResult postconf = postfix.run(List.of("postconf", "-c", conf, "-n"), null);
      List<String> unknown = postconf.stderr().lines().filter(l -> l.contains("unused parameter")).distinct().toList();
      if (!postconf.ok() || (strictParameters && !unknown.isEmpty())) {
        postfix.close();
        throw new IllegalArgumentException("bad main.cf for postfix " + name + ": "
            + (unknown.isEmpty() ? postconf.describe() : String.join("\n", unknown)));
      }
      // check also creates the queue subdirectories with their owners (post-install create-missing)
      ProcessResult check = postfix.run(List.of("postfix", "-c", conf, "check"), null);
      List<String> problems = check.stderr().lines()
          .filter(l -> !l.isBlank()).filter(l -> strictParameters || !l.contains("unused parameter"))
          .distinct().toList();
      if (!check.ok() || !problems.isEmpty()) {
        postfix.close();
        throw new IllegalArgumentException("postfix check failed for " + name + ":\n" + String.join("\n", problems)
            + "\n" + check.describe());
      }
    }
  }
}
