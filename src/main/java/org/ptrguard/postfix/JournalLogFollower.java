package org.ptrguard.postfix;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ptrguard.ops.LogValues;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the systemd journal through {@code journalctl --follow --output=json} as a child process
 * (no JNI). Only entries of Postfix's smtp and lmtp client processes are asked for
 * ({@code _COMM=smtp _COMM=lmtp}). The first run starts at the end ({@code --lines=0}); after
 * journalctl exits, the next run continues after the last entry read ({@code --after-cursor}), so
 * a restart neither loses nor repeats entries. journalctl missing or exiting is a log line and a
 * retry with backoff.
 */
public final class JournalLogFollower implements LogFollower {
  private static final Logger LOG = LoggerFactory.getLogger(JournalLogFollower.class);
  private static final Pattern CURSOR = Pattern.compile("\"__CURSOR\"\\s*:\\s*\"([^\"\\\\]{1,512})\"");
  /** journalctl with this long a run behind it counts as healthy again (backoff restarts small). */
  private static final Duration HEALTHY_RUN = Duration.ofSeconds(30);

  private final String journalctl;
  private final List<String> extraArgs;
  private final Consumer<String> lines;
  private final Timing timing;
  private final Thread thread;
  private volatile boolean closed;
  private volatile Process process;
  private String cursor;

  /**
   * @param journalctl the program to run ({@code journalctl} from PATH normally)
   * @param extraArgs further arguments (a {@code --directory} or {@code --file} for a test journal)
   */
  public JournalLogFollower(String journalctl, List<String> extraArgs, Consumer<String> lines, Timing timing) {
    this.journalctl = journalctl;
    this.extraArgs = List.copyOf(extraArgs);
    this.lines = lines;
    this.timing = timing;
    this.thread = new Thread(this::run, "ptrguard-feedback-journal");
    thread.setDaemon(true);
  }

  /** Follows the system journal, handing smtp/lmtp client lines to {@code listener}. */
  public static JournalLogFollower of(DeliveryLogParser parser, DeliveryLogListener listener) {
    return new JournalLogFollower("journalctl", List.of(), LogFollower.delivering(parser, listener), Timing.STANDARD);
  }

  /** The command line of the next run. */
  List<String> command() {
    List<String> c = new ArrayList<>();
    c.add(journalctl);
    c.addAll(List.of("--follow", "--output=json", "--no-pager", "--quiet"));
    c.add(cursor == null ? "--lines=0" : "--after-cursor=" + cursor);
    c.addAll(extraArgs);
    c.addAll(List.of("_COMM=smtp", "_COMM=lmtp"));
    return c;
  }

  @Override
  public JournalLogFollower start() {
    thread.start();
    return this;
  }

  @Override
  public String description() {
    return "journal";
  }

  @Override
  public void close() {
    closed = true;
    Process p = process;
    if (p != null) {
      p.destroy();
    }
    thread.interrupt();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (p != null && p.isAlive()) {
      p.destroyForcibly();
    }
  }

  private void run() {
    Backoff backoff = new Backoff(timing.backoffMin(), timing.backoffMax());
    while (!closed) {
      long started = System.nanoTime();
      String outcome = runOnce();
      if (closed) {
        break;
      }
      if (Duration.ofNanos(System.nanoTime() - started).compareTo(HEALTHY_RUN) > 0) {
        backoff.reset();
      }
      Duration wait = backoff.next();
      LOG.warn("event=feedback-source-problem source=journal problem={} retry-in-ms={}", LogValues.of(outcome),
          wait.toMillis());
      try {
        Thread.sleep(wait.toMillis());
      } catch (InterruptedException e) {
        break;
      }
    }
  }

  /** One journalctl run, to its end; what ended it. */
  private String runOnce() {
    List<String> command = command();
    Process p;
    try {
      p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    } catch (IOException e) {
      return "journalctl cannot be run: " + e.getMessage();
    }
    process = p;
    StringBuilder lastError = new StringBuilder();
    Thread errors = new Thread(() -> drainErrors(p.getErrorStream(), lastError), "ptrguard-feedback-journal-stderr");
    errors.setDaemon(true);
    errors.start();
    LineSplitter splitter = new LineSplitter(FileLogFollower.MAX_LINE, this::entry);
    byte[] buf = new byte[64 * 1024];
    try (InputStream in = p.getInputStream()) {
      int n;
      while ((n = in.read(buf)) > 0) {
        splitter.feed(buf, 0, n);
      }
    } catch (IOException e) {
      // the process was destroyed (close) or its pipe broke: its exit status says more
    }
    try {
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
      errors.join(1_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
    String err;
    synchronized (lastError) {
      err = lastError.toString();
    }
    return "journalctl exited" + (p.isAlive() ? "" : " with status " + p.exitValue()) + (err.isEmpty() ? "" : ": " + err);
  }

  private void entry(String json) {
    Matcher m = CURSOR.matcher(json);
    if (m.find()) {
      cursor = m.group(1);
    }
    lines.accept(json);
  }

  /** Keeps journalctl's last complaint (capped) for the log line about its exit. */
  private static void drainErrors(InputStream err, StringBuilder last) {
    LineSplitter s = new LineSplitter(512, line -> {
      if (!line.isBlank()) {
        synchronized (last) {
          last.setLength(0);
          last.append(line.strip());
        }
      }
    });
    byte[] buf = new byte[4096];
    try (err) {
      int n;
      while ((n = err.read(buf)) > 0) {
        s.feed(buf, 0, n);
      }
      s.finish();
    } catch (IOException e) {
      // the process is gone
    }
  }
}
