package org.ptrguard.ops;

import java.io.PrintStream;
import org.slf4j.simple.SimpleLogger;

/**
 * slf4j-simple's logger with three changes: journald priority prefixes, a cheaper timestamp outside
 * the journal (see {@link LogTimestamp}), and one runtime-adjustable level for ptrguard's own loggers
 * (slf4j-simple fixes levels at start; reload must change it).
 */
final class PtrguardLogger extends SimpleLogger {
  private static final long serialVersionUID = 1L;
  static final int TRACE = LOG_LEVEL_TRACE;
  static final int DEBUG = LOG_LEVEL_DEBUG;
  static final int INFO = LOG_LEVEL_INFO;
  static final int WARN = LOG_LEVEL_WARN;
  static final int ERROR = LOG_LEVEL_ERROR;

  private final boolean ours;

  PtrguardLogger(String name) {
    super(name);
    this.ours = name.startsWith("org.ptrguard");
  }

  @Override
  protected boolean isLevelEnabled(int level) {
    return ours ? level >= Logging.threshold() : super.isLevelEnabled(level);
  }

  @Override
  protected String renderLevel(int level) {
    String name = super.renderLevel(level);
    return Logging.journal() ? "<" + syslogPriority(level) + ">" + name : Logging.timestampPrefix() + name;
  }

  /** Each line of a trace gets the error priority; unprefixed lines would be filed as info. */
  @Override
  protected void writeThrowable(Throwable t, PrintStream out) {
    // slf4j-simple calls this for every line, with null when there is nothing to print.
    if (t == null) {
      return;
    }
    if (!Logging.journal()) {
      super.writeThrowable(t, out);
      return;
    }
    java.io.StringWriter text = new java.io.StringWriter();
    t.printStackTrace(new java.io.PrintWriter(text));
    for (String line : text.toString().split("\\R")) {
      out.println("<3>" + line);
    }
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
