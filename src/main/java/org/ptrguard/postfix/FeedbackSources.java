package org.ptrguard.postfix;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.ptrguard.config.FeedbackSource;

/**
 * Turns {@code feedback.source} into the log to follow. {@code auto} takes the journal when it holds
 * entries of Postfix's processes, else {@code /var/log/mail.log} when readable, else Postfix's
 * {@code maillog_file} when set and readable, else nothing, with the reason in {@link Resolved#why()}
 * (the daemon logs it once). Probing forks journalctl and postconf: call it at start or reload, off
 * the event loops.
 */
public final class FeedbackSources {
  public static final Path MAIL_LOG = Path.of("/var/log/mail.log");

  /** The outcome: which log, and why (one line for the daemon's log). */
  public record Resolved(FeedbackSource.Kind kind, Optional<Path> file, String why) {
    public boolean off() {
      return kind == FeedbackSource.Kind.OFF;
    }

    public String description() {
      return switch (kind) {
        case JOURNAL -> "journal";
        case FILE -> "file " + file.orElseThrow();
        default -> "off";
      };
    }
  }

  /** What {@code auto} looks at; {@link #system} asks the machine. */
  public interface Probe {
    /** True when the journal has at least one entry from Postfix's processes. */
    boolean journalHasPostfix();

    /** Postfix's {@code maillog_file} ({@code postconf -h maillog_file}), empty when unset. */
    Optional<String> maillogFile();

    Path mailLog();
  }

  private FeedbackSources() {}

  public static Resolved resolve(FeedbackSource configured, Probe probe) {
    return switch (configured.kind()) {
      case OFF -> new Resolved(FeedbackSource.Kind.OFF, Optional.empty(), "feedback.source = off");
      case JOURNAL -> new Resolved(FeedbackSource.Kind.JOURNAL, Optional.empty(), "feedback.source = journal");
      case FILE -> new Resolved(FeedbackSource.Kind.FILE, configured.file(), "feedback.source = " + configured.word());
      case AUTO -> auto(probe);
    };
  }

  private static Resolved auto(Probe probe) {
    if (probe.journalHasPostfix()) {
      return new Resolved(FeedbackSource.Kind.JOURNAL, Optional.empty(), "auto: the journal holds Postfix's entries");
    }
    List<String> tried = new ArrayList<>();
    tried.add("the journal holds no entries of Postfix's processes");
    Path mailLog = probe.mailLog();
    Optional<String> unusable = unusable(mailLog);
    if (unusable.isEmpty()) {
      return new Resolved(FeedbackSource.Kind.FILE, Optional.of(mailLog), "auto: " + tried.get(0) + "; " + mailLog + " is readable");
    }
    tried.add(unusable.get());
    Optional<String> maillog = probe.maillogFile().map(String::strip).filter(s -> !s.isEmpty());
    if (maillog.isEmpty()) {
      tried.add("Postfix's maillog_file is not set");
    } else if (!maillog.get().startsWith("/") || maillog.get().startsWith("/dev/")) {
      tried.add("Postfix's maillog_file is " + maillog.get() + ", not a file to follow");
    } else {
      Path p = Path.of(maillog.get());
      Optional<String> bad = unusable(p);
      if (bad.isEmpty()) {
        return new Resolved(FeedbackSource.Kind.FILE, Optional.of(p), "auto: " + String.join("; ", tried)
            + "; Postfix's maillog_file " + p + " is readable");
      }
      tried.add("maillog_file " + bad.get());
    }
    return new Resolved(FeedbackSource.Kind.OFF, Optional.empty(), "auto found no log to follow: " + String.join("; ", tried));
  }

  /** Why a file cannot be followed, or empty when it can. */
  static Optional<String> unusable(Path p) {
    if (!Files.exists(p)) {
      return Optional.of(p + " does not exist");
    }
    if (!Files.isRegularFile(p)) {
      return Optional.of(p + " is not a regular file");
    }
    if (!Files.isReadable(p)) {
      return Optional.of(p + " is not readable by user " + System.getProperty("user.name")
          + " (on Debian, group adm may read it)");
    }
    return Optional.empty();
  }

  /** The probe of this machine: journalctl and postconf of the given Postfix instance. */
  public static Probe system(PostfixTools postfix) {
    return new Probe() {
      @Override
      public boolean journalHasPostfix() {
        return journalHasEntries(List.of("journalctl", "--quiet", "--no-pager", "--lines=1", "--output=cat",
            "_COMM=smtp", "_COMM=qmgr", "_COMM=master", "_COMM=lmtp"));
      }

      @Override
      public Optional<String> maillogFile() {
        PostfixTools.Result r = postfix.postconf("-h", "maillog_file");
        return r.ok() ? Optional.of(r.stdout().strip()) : Optional.empty();
      }

      @Override
      public Path mailLog() {
        return MAIL_LOG;
      }
    };
  }

  /**
   * True when the command printed something and exited 0 within 10 s; journalctl missing, failing or
   * hanging is false. Output goes to a temporary file so that a hanging journalctl cannot block a read.
   */
  static boolean journalHasEntries(List<String> command) {
    Path out = null;
    try {
      out = Files.createTempFile("ptrguard-journal-probe", ".txt");
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      String text;
      try (var in = Files.newInputStream(out)) {
        text = new String(in.readNBytes(4096), StandardCharsets.UTF_8).strip();
      }
      return p.exitValue() == 0 && !text.isEmpty() && !text.startsWith("No journal files") && !text.startsWith("-- No entries");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      if (out != null) {
        try {
          Files.deleteIfExists(out);
        } catch (IOException e) {
          // a leftover empty temp file is harmless
        }
      }
    }
  }

  /** The follower for a resolved source, handing smtp/lmtp client lines to {@code listener}; empty when off. */
  public static Optional<LogFollower> follower(Resolved resolved, DeliveryLogParser parser, DeliveryLogListener listener) {
    return switch (resolved.kind()) {
      case JOURNAL -> Optional.of(JournalLogFollower.of(parser, listener));
      case FILE -> Optional.of(FileLogFollower.of(resolved.file().orElseThrow(), parser, listener));
      default -> Optional.empty();
    };
  }
}
