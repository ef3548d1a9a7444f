package org.ptrguard.ops;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Locale;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.simple.SimpleLogger;

/**
 * slf4j-simple's logger writing pure logfmt lines, so that {@code key=value} tools parse a whole line:
 * {@code ts=... level=info logger=decision event=decision ...}. Under the journal the timestamp is left
 * out (journald adds its own) and the line starts with its sd-daemon priority ({@code <6>}). Messages of
 * ptrguard's own loggers start with {@code event=}; any other message (a library's) becomes a quoted
 * {@code msg=} value. A throwable becomes {@code error=} and each stack frame a line of its own with
 * {@code trace=}, so a trace never produces a line that is not logfmt.
 *
 * <p>It also gives ptrguard's own loggers one runtime-adjustable level (slf4j-simple fixes levels at
 * start; reload must change it).
 */
final class PtrguardLogger extends SimpleLogger {
  private static final long serialVersionUID = 1L;
  static final int TRACE = LOG_LEVEL_TRACE;
  static final int DEBUG = LOG_LEVEL_DEBUG;
  static final int INFO = LOG_LEVEL_INFO;
  static final int WARN = LOG_LEVEL_WARN;
  static final int ERROR = LOG_LEVEL_ERROR;

  private final boolean ours;
  private final String shortName;

  PtrguardLogger(String name) {
    super(name);
    this.ours = name.startsWith("org.ptrguard");
    this.shortName = LogValues.of(name.substring(name.lastIndexOf('.') + 1));
  }

  @Override
  protected boolean isLevelEnabled(int level) {
    return ours ? level >= Logging.threshold() : super.isLevelEnabled(level);
  }

  @Override
  protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] arguments,
      Throwable throwable) {
    String message = MessageFormatter.basicArrayFormat(pattern, arguments);
    int priority = syslogPriority(level.toInt());
    String levelName = level.name().toLowerCase(Locale.ROOT);
    StringBuilder line = head(priority, levelName);
    if (message != null && message.startsWith("event=")) {
      line.append(message);
    } else {
      line.append("msg=").append(LogValues.of(message));
    }
    if (throwable != null) {
      line.append(" error=").append(LogValues.of(throwable.toString()));
    }
    StringBuilder out = line.append('\n');
    if (throwable != null) {
      StringWriter text = new StringWriter();
      throwable.printStackTrace(new PrintWriter(text));
      String[] frames = text.toString().split("\\R");
      // The first line repeats error=; the rest are frames and causes.
      for (int i = 1; i < frames.length; i++) {
        out.append(head(priority, levelName)).append("trace=").append(LogValues.of(frames[i].strip())).append('\n');
      }
    }
    // One write per event, so lines of concurrent events never interleave.
    System.err.print(out);
    System.err.flush();
  }

  private StringBuilder head(int priority, String level) {
    StringBuilder line = new StringBuilder(160);
    if (Logging.journal()) {
      line.append('<').append(priority).append('>');
    } else {
      line.append("ts=").append(Logging.timestamp()).append(' ');
    }
    return line.append("level=").append(level).append(" logger=").append(shortName).append(' ');
  }

  static int syslogPriority(int level) {
    if (level >= ERROR) {
      return 3;
    }
    if (level >= WARN) {
      return 4;
    }
    if (level >= INFO) {
      return 6;
    }
    return 7;
  }
}
