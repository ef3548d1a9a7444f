package org.ptrguard.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The packaged ptrguard jar as its own process, as the integration tests launch it: the one place
 * that knows the java binary, the jar and the environment a test must not inherit. Tests that only
 * need a command line (to wrap it, or to run it inside a namespace) take {@link #command}; those that
 * run the daemon take {@link #start}, which keeps its output in a file and stops it on close.
 */
public final class PtrguardProcess implements AutoCloseable {
  /**
   * Variables that change what ptrguard does: the mode override, journal detection, socket activation
   * and readiness notification. A test sets the ones it is about; none leaks in from the shell or the
   * service manager that runs Maven.
   */
  private static final List<String> NOT_INHERITED =
      List.of("PTRGUARD_MODE", "JOURNAL_STREAM", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET");

  private final Process process;
  private final Path log;

  private PtrguardProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** The jar under test: {@code -Dptrguard.jar} (set by failsafe; the bench points it at other builds) or target/ptrguard.jar. */
  public static Path jar() {
    Path jar = Path.of(System.getProperty("ptrguard.jar", "target/ptrguard.jar")).toAbsolutePath();
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("ptrguard jar not found at " + jar + ": run through mvn verify");
    }
    return jar;
  }

  /** The java of the JVM running the tests, not whichever one comes first on PATH. */
  public static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** {@code java <jvmOptions> -jar <jar> <args>}. */
  public static List<String> command(List<String> jvmOptions, String... args) {
    List<String> command = new ArrayList<>(List.of(java()));
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", jar().toString()));
    command.addAll(List.of(args));
    return command;
  }

  public static List<String> command(String... args) {
    return command(List.of(), args);
  }

  /** A process builder for {@code command} (usually one from {@link #command}, perhaps wrapped), without the variables ptrguard reacts to. */
  public static ProcessBuilder builder(List<String> command) {
    ProcessBuilder pb = new ProcessBuilder(command);
    NOT_INHERITED.forEach(pb.environment()::remove);
    return pb;
  }

  public static ProcessBuilder builder(String... args) {
    return builder(command(args));
  }

  /** Starts {@code builder} with stdout and stderr going to {@code log}. */
  public static PtrguardProcess start(ProcessBuilder builder, Path log) throws IOException {
    return new PtrguardProcess(builder.redirectErrorStream(true).redirectOutput(log.toFile()).start(), log);
  }

  public Process process() {
    return process;
  }

  public Path log() {
    return log;
  }

  public String logText() throws IOException {
    return Files.readString(log, StandardCharsets.UTF_8);
  }

  /** Waits until the log contains {@code needle}; fails at once, with the log, when the process dies first. */
  public void awaitLog(String needle, Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!logText().contains(needle)) {
      if (!process.isAlive()) {
        throw new AssertionError("ptrguard exited (" + process.exitValue() + ") before '" + needle + "':\n" + logText());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no '" + needle + "' in the log within " + timeout + ":\n" + logText());
      }
      Thread.sleep(50);
    }
  }

  /** SIGTERM, then SIGKILL if it has not stopped within 20 s. */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
