package org.ptrguard.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs the external tools the tests drive (postfix, postqueue, sendmail, ...) with a hard timeout. */
public final class Commands {
  private Commands() {}

  /**
   * Fails with the Debian package to install when a tool is missing: tests are never silently skipped.
   */
  public static Path require(String executable, String debianPackage) {
    for (String dir : List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/lib/postfix/sbin")) {
      Path candidate = Path.of(dir, executable);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException(executable + " not found: install the Debian package '" + debianPackage
        + "' (apt-get install -y " + debianPackage + ")");
  }

  public static ProcessResult run(Duration timeout, List<String> command) {
    return run(timeout, command, Map.of(), null);
  }

  /** Runs a command, optionally feeding stdin, and returns its exit code and both outputs. */
  public static ProcessResult run(Duration timeout, List<String> command, Map<String, String> env,
      byte[] stdin) {
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().putAll(env);
    if (stdin == null) {
      builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    }
    try {
      Process process = builder.start();
      CompletableFuture<String> out = drain(process.getInputStream());
      CompletableFuture<String> err = drain(process.getErrorStream());
      if (stdin != null) {
        try (var in = process.getOutputStream()) {
          in.write(stdin);
        }
      }
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("timed out after " + timeout + ": " + String.join(" ", command));
      }
      return new ProcessResult(List.copyOf(command), process.exitValue(),
          out.get(5, TimeUnit.SECONDS), err.get(5, TimeUnit.SECONDS));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + command, e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("cannot collect output of " + command, e);
    }
  }

  /** Like run, but a non-zero exit is an error carrying both outputs. */
  public static ProcessResult runOk(Duration timeout, List<String> command) {
    ProcessResult result = run(timeout, command);
    if (!result.ok()) {
      throw new IllegalStateException(result.describe());
    }
    return result;
  }

  private static CompletableFuture<String> drain(InputStream stream) {
    return CompletableFuture.supplyAsync(() -> {
      try (stream) {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "<unreadable: " + e + ">";
      }
    });
  }
}
