package org.ptrguard.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.ptrguard.testing.FreePorts;

/** The libmilter reference milter (bench/libmilter-baseline/baseline.c), compiled with gcc and run. */
public final class BaselineServer extends ServerProcess {
  private BaselineServer(Started started, SocketAddress milter, Path log) {
    super(started.process(), milter, log, started.startup());
  }

  public static Path source() {
    return Path.of(System.getProperty("ptrguard.baseline.source", "bench/libmilter-baseline/baseline.c"))
        .toAbsolutePath();
  }

  /** Compiles the baseline into {@code dir} (gcc -O2 ... -lmilter -lpthread); fails naming the Debian packages. */
  public static Path build(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path binary = dir.resolve("baseline");
    if (!Files.exists(Path.of("/usr/include/libmilter/mfapi.h"))) {
      throw new IllegalStateException("libmilter headers missing: install the Debian package libmilter-dev");
    }
    Process gcc = new ProcessBuilder("gcc", "-O2", "-Wall", "-o", binary.toString(), source().toString(),
        "-lmilter", "-lpthread").redirectErrorStream(true).start();
    String out = new String(gcc.getInputStream().readAllBytes());
    if (!gcc.waitFor(60, TimeUnit.SECONDS) || gcc.exitValue() != 0) {
      throw new IllegalStateException("gcc failed (Debian packages gcc, libmilter-dev):\n" + out);
    }
    return binary;
  }

  /** Starts the compiled baseline in the mode matching ptrguard's. */
  public static BaselineServer start(Path binary, Path workDir, BenchMode mode) throws IOException {
    return startOnTcp(binary, workDir, mode.baselineFlag());
  }

  /**
   * Starts the baseline as a milter that ACCEPTs at CONNECT and decides nothing: what Postfix pays
   * for any milter at all (connection, OPTNEG, one answer). No ptrguard mode matches it.
   */
  public static BaselineServer startFloor(Path binary, Path workDir) throws IOException {
    return startOnTcp(binary, workDir, Optional.of("-f"));
  }

  /**
   * The floor milter on a unix socket at {@code socket} (created world-writable, as Postfix's user must
   * connect): what the cheapest milter costs Postfix over the cheaper transport.
   */
  public static BaselineServer startFloorUnix(Path binary, Path workDir, Path socket) throws IOException {
    return start(binary, workDir, "unix:" + socket, UnixDomainSocketAddress.of(socket), Optional.of("-f"));
  }

  private static BaselineServer startOnTcp(Path binary, Path workDir, Optional<String> flag) throws IOException {
    int port = FreePorts.next();
    return start(binary, workDir, "inet:" + port + "@127.0.0.1", new InetSocketAddress("127.0.0.1", port), flag);
  }

  /** {@code conn} in libmilter's notation; {@code milter} the same address for the readiness probe. */
  private static BaselineServer start(Path binary, Path workDir, String conn, SocketAddress milter,
      Optional<String> flag) throws IOException {
    Files.createDirectories(workDir);
    List<String> command = new ArrayList<>(List.of(binary.toString(), "-p", conn));
    flag.ifPresent(command::add);
    Path log = workDir.resolve("baseline.log");
    return new BaselineServer(launch(command, milter, log, Duration.ofSeconds(10)), milter, log);
  }
}
