package org.ptrguard.postfix;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs Postfix's own tools ({@code postconf}, {@code postmap}) for one Postfix instance: with
 * {@code -c DIR} when a configuration directory is given, otherwise as the admin would type them
 * (the tools then honour {@code MAIL_CONFIG} themselves). Never throws: a missing binary, a timeout
 * or an error exit come back as a {@link Result} that says what went wrong.
 */
public final class PostfixTools {
  /** What one command printed; {@code ok} is exit status 0. */
  public record Result(boolean ok, int exit, String stdout, String stderr, String command) {
    /** One line for a log or a finding: the tool's own complaint when it made one. */
    public String problem() {
      String complaint = "";
      for (String level : List.of("fatal", "error", "warning")) {
        complaint = stderr.lines().filter(l -> l.contains(level)).findFirst().orElse("");
        if (!complaint.isEmpty()) {
          break;
        }
      }
      complaint = complaint.isEmpty() ? stderr.lines().findFirst().orElse("") : complaint;
      return command + " failed" + (exit >= 0 ? " (exit " + exit + ")" : "")
          + (complaint.isBlank() ? "" : ": " + complaint.strip());
    }
  }

  private final Optional<Path> configDir;
  private final String postconf;
  private final String postmap;
  private final Duration timeout;

  public PostfixTools(Optional<Path> configDir, String postconf, String postmap, Duration timeout) {
    this.configDir = configDir;
    this.postconf = postconf;
    this.postmap = postmap;
    this.timeout = timeout;
  }

  /** The tools from PATH for the given instance (empty: the default one, or MAIL_CONFIG's). */
  public static PostfixTools forInstance(Optional<Path> configDir) {
    return new PostfixTools(configDir, "postconf", "postmap", Duration.ofSeconds(20));
  }

  public Optional<Path> configDir() {
    return configDir;
  }

  /** {@code postconf [-c DIR] ARGS...}. */
  public Result postconf(String... args) {
    return run(postconf, null, args);
  }

  /** {@code postmap [-c DIR] ARGS...}, optionally with standard input (for {@code -q -}). */
  public Result postmap(String stdin, String... args) {
    return run(postmap, stdin, args);
  }

  private Result run(String tool, String stdin, String... args) {
    List<String> command = new ArrayList<>();
    command.add(tool);
    configDir.ifPresent(dir -> {
      command.add("-c");
      command.add(dir.toString());
    });
    command.addAll(List.of(args));
    String shown = String.join(" ", command);
    try {
      Process p = new ProcessBuilder(command).start();
      // both pipes drained at once: a table listing can exceed the pipe buffer
      CompletableFuture<String> out = drain(p.getInputStream());
      CompletableFuture<String> err = drain(p.getErrorStream());
      try (var in = p.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      } catch (IOException closedEarly) {
        // the tool exited before reading its input; its exit status says why
      }
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        return new Result(false, -1, "", "timed out after " + timeout.toSeconds() + " s", shown);
      }
      return new Result(p.exitValue() == 0, p.exitValue(), out.join(), err.join(), shown);
    } catch (IOException e) {
      return new Result(false, -1, "", "cannot run " + tool + ": " + e.getMessage(), shown);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(false, -1, "", "interrupted", shown);
    }
  }

  private static CompletableFuture<String> drain(InputStream in) {
    return CompletableFuture.supplyAsync(() -> {
      try (in) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "";
      }
    });
  }
}
