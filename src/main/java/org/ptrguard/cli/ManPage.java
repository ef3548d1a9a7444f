package org.ptrguard.cli;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ptrguard.config.ConfigReference;

/**
 * ptrguard(8) and ptrguard.conf(5) in troff (the man(7) macros), rendered from the same
 * {@link Command} declarations as {@code --help} and from {@link ConfigReference}, so the pages
 * cannot drift from what the program accepts. Written directly rather than through picocli's
 * AsciiDoc generator: that needs asciidoctor at build time (a Ruby toolchain) for a few dozen
 * lines of macros.
 */
public final class ManPage {
  private static final Pattern CODE = Pattern.compile("`([^`]+)`");

  private ManPage() {}

  /** ptrguard(8). {@code date} is the build's date (yyyy-mm-dd), {@code version} the release. */
  public static String ptrguard8(List<Command> commands, String date, String version) {
    StringBuilder s = header("PTRGUARD", 8, date, version, "System Administration");
    s.append(".SH NAME\nptrguard \\- pre\\-send guard for Postfix: checks the outbound identity (PTR, FCrDNS, EHLO)\n");
    s.append(".SH SYNOPSIS\n");
    for (Command c : commands) {
      s.append(".B ptrguard ").append(c.name()).append('\n');
      c.options().forEach(o -> s.append(synopsisItem(o)).append('\n'));
      if (!c.operands().isEmpty()) {
        s.append(text(c.operands())).append('\n');
      }
      s.append(".br\n");
    }
    s.append(".B ptrguard help\n[\\fICOMMAND\\fR]\n.br\n.B ptrguard \\-\\-version\n");
    s.append(".SH DESCRIPTION\n").append(text(Commands.DESCRIPTION)).append('\n');
    s.append(".PP\n").append(fill("With no command, or with options only, ptrguard runs \\fBserve\\fR, as the systemd unit does. "
        + "Options take their value as the next argument or after \\fB=\\fR (\\fB\\-\\-config=/etc/ptrguard/ptrguard.conf\\fR); "
        + "\\fB\\-\\-\\fR ends the options. Every command accepts \\fB\\-h\\fR, \\fB\\-\\-help\\fR, and "
        + "\\fBptrguard help\\fR \\fICOMMAND\\fR prints the same text.")).append('\n');
    s.append(".SH COMMANDS\n");
    for (Command c : commands) {
      s.append(".SS ").append(c.name()).append('\n');
      String[] paragraphs = c.description().split("\n\n");
      for (int i = 0; i < paragraphs.length; i++) {
        if (i > 0) {
          s.append(".PP\n");
        }
        s.append(text(paragraphs[i])).append('\n');
      }
      for (Option o : c.options()) {
        s.append(".TP\n").append(optionLabel(o)).append('\n');
        s.append(text(o.help() + (o.repeatable() ? " May be given more than once." : ""))).append('\n');
        if (o.takesValue()) {
          s.append("Default: ").append(text(o.defaultText())).append(".\n");
        }
      }
      s.append(".PP\nExit status of \\fB").append(c.name()).append("\\fR:\n");
      for (Command.ExitCode e : c.exitCodes()) {
        s.append(".TP\n.B ").append(e.code()).append('\n').append(text(e.meaning())).append('\n');
      }
    }
    s.append(".SH OPTIONS WITHOUT A COMMAND\n");
    s.append(".TP\n.BR \\-V \", \" \\-\\-version\nPrint the version and exit.\n");
    s.append(".TP\n.BR \\-h \", \" \\-\\-help\nList the commands and exit.\n");
    s.append(".SH SIGNALS\n");
    s.append(".TP\n.B SIGHUP\nRe\\-read the configuration (\\fBsystemctl reload ptrguard\\fR). A valid file applies to the next "
        + "decision and open SMTP sessions carry on; an invalid one is logged and the running configuration stays. "
        + "Under systemd, RELOADING=1 and READY=1 are sent around it.\n");
    s.append(".TP\n.BR SIGTERM \", \" SIGINT\nStop accepting connections, finish and stop (exit status 143 for SIGTERM).\n");
    s.append(".SH FILES\n");
    s.append(".TP\n.I /etc/ptrguard/ptrguard.conf\nThe configuration, see \\fBptrguard.conf\\fR(5). Without it, built\\-in defaults apply.\n");
    s.append(".TP\n.I /var/spool/postfix/ptrguard/ptrguard.sock\nThe milter's unix socket when one is configured: inside Postfix's "
        + "chroot, so a chrooted smtpd names it \\fBunix:/ptrguard/ptrguard.sock\\fR.\n");
    s.append(".TP\n.I /usr/lib/systemd/system/ptrguard.service\nThe hardened unit; \\fIptrguard.socket\\fR optionally lets systemd "
        + "keep the listening socket open across restarts.\n");
    s.append(".SH ENVIRONMENT\n");
    s.append(".TP\n.B PTRGUARD_MODE\n\\fBaudit\\fR or \\fBenforce\\fR: overrides \\fBmode\\fR of the configuration.\n");
    s.append(".TP\n.B JOURNAL_STREAM\nSet by systemd. When it names stderr's device and inode, log lines carry their "
        + "syslog priority (\\fB<6>\\fR) instead of a \\fBts=\\fR timestamp.\n");
    s.append(".TP\n.B NO_COLOR\nTurns colour off in the report of \\fBcheck\\fR.\n");
    s.append(".SH LOGGING\nEvery line on stderr is logfmt: \\fBts=\\fR (not under the journal), \\fBlevel=\\fR, "
        + "\\fBlogger=\\fR, \\fBevent=\\fR and the event's keys. One \\fBevent=decision\\fR line per guarded session; "
        + "\\fBevent=identity\\fR when a verdict changes (warning when it gets worse, info when it recovers).\n");
    s.append(".SH EXAMPLES\n");
    firstExample(s, "Check an address and EHLO name, as any user, without the configuration:",
        "ptrguard check \\-\\-ip 192.0.2.11 \\-\\-ehlo mail.example.com");
    example(s, "Check the identities Postfix sends with, for cron or monitoring:",
        "ptrguard check \\-c /etc/ptrguard/ptrguard.conf \\-\\-json");
    example(s, "Validate a changed configuration, then apply it:",
        "ptrguard config && systemctl reload ptrguard");
    example(s, "Attach Postfix (main.cf):",
        "smtpd_milters = inet:8894@localhost\nmilter_default_action = accept");
    example(s, "Follow the decisions:", "journalctl \\-u ptrguard \\-f | grep event=decision");
    s.append(".SH SEE ALSO\n\\fBptrguard.conf\\fR(5), \\fBpostconf\\fR(5), \\fBpostsuper\\fR(1), \\fBsystemctl\\fR(1)\n");
    return fillLongLines(s.toString());
  }

  /** ptrguard.conf(5): every key with its default and meaning. */
  public static String ptrguardConf5(String date, String version) {
    StringBuilder s = header("PTRGUARD.CONF", 5, date, version, "File Formats");
    s.append(".SH NAME\nptrguard.conf \\- configuration of the ptrguard milter\n");
    s.append(".SH SYNOPSIS\n.I /etc/ptrguard/ptrguard.conf\n");
    s.append(".SH DESCRIPTION\n").append(text(ConfigReference.INTRO)).append('\n');
    s.append(".SH KEYS\n");
    for (ConfigReference.Key k : ConfigReference.KEYS) {
      s.append(".TP\n.B ").append(escape(k.name())).append('\n');
      s.append(text(k.meaning())).append('\n');
      s.append("Default: \\fB").append(escape(ConfigReference.defaultOf(k))).append("\\fR.\n");
    }
    s.append(".SH EXAMPLE\n.RS 4\n.nf\n").append(literal(ConfigReference.IDENTITY_EXAMPLE)).append("\n.fi\n.RE\n");
    s.append(".SH SEE ALSO\n\\fBptrguard\\fR(8), \\fBpostconf\\fR(5)\n");
    return fillLongLines(s.toString());
  }

  private static StringBuilder header(String title, int section, String date, String version, String manual) {
    StringBuilder s = new StringBuilder();
    s.append(".\\\" Generated from ptrguard's command and configuration declarations; do not edit.\n");
    s.append(".TH ").append(title).append(' ').append(section).append(" \"").append(date).append("\" \"ptrguard ")
        .append(escape(version)).append("\" \"").append(manual).append("\"\n");
    return s;
  }

  private static void firstExample(StringBuilder s, String what, String commands) {
    s.append(text(what)).append("\n.PP\n.RS 4\n.nf\n").append(commands).append("\n.fi\n.RE\n");
  }

  private static void example(StringBuilder s, String what, String commands) {
    s.append(".PP\n").append(text(what)).append("\n.PP\n.RS 4\n.nf\n").append(commands).append("\n.fi\n.RE\n");
  }

  private static String synopsisItem(Option o) {
    String name = o.shortName().map(c -> "\\-" + c).orElse("\\-\\-" + o.name());
    String item = "[\\fB" + name + "\\fR" + o.value().map(v -> " \\fI" + escape(v) + "\\fR").orElse("") + "]";
    return o.repeatable() ? item + "..." : item;
  }

  private static String optionLabel(Option o) {
    String longForm = "\\fB\\-\\-" + o.name() + "\\fR" + o.value().map(v -> "=\\fI" + escape(v) + "\\fR").orElse("");
    return o.shortName().map(c -> "\\fB\\-" + c + "\\fR, " + longForm).orElse(longForm);
  }

  /** Running text: escaped, `code` in bold, and no line that troff would take for a request. */
  static String text(String plain) {
    Matcher m = CODE.matcher(plain);
    StringBuilder out = new StringBuilder();
    int last = 0;
    while (m.find()) {
      out.append(escape(plain.substring(last, m.start())));
      out.append("\\fB").append(escape(m.group(1))).append("\\fR");
      last = m.end();
    }
    out.append(escape(plain.substring(last)));
    return fill(out.toString().replace("\n", " "));
  }

  /** Fills every text line longer than 80 bytes outside .nf/.fi blocks (macro lines stay as they are). */
  static String fillLongLines(String page) {
    StringBuilder out = new StringBuilder();
    boolean literal = false;
    for (String line : page.split("\n", -1)) {
      if (line.startsWith(".nf")) {
        literal = true;
      } else if (line.startsWith(".fi")) {
        literal = false;
      }
      boolean text = !line.startsWith(".") && !line.startsWith("'");
      out.append(text && !literal ? fill(line) : line).append('\n');
    }
    return out.substring(0, out.length() - 1);
  }

  /**
   * Breaks running text into source lines of at most 80 bytes at spaces (troff joins them again), as
   * man page linters ask; a line that would start with a control character is protected with \&.
   */
  static String fill(String troff) {
    StringBuilder out = new StringBuilder();
    StringBuilder line = new StringBuilder();
    for (String word : troff.split(" ")) {
      if (word.isEmpty()) {
        continue;
      }
      if (line.length() > 0 && line.length() + 1 + word.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 80) {
        out.append(line).append('\n');
        line.setLength(0);
      }
      if (line.length() == 0 && (word.startsWith(".") || word.startsWith("'"))) {
        line.append("\\&");
      } else if (line.length() > 0) {
        line.append(' ');
      }
      line.append(word);
    }
    return out.append(line).toString();
  }

  /** A literal block: escaped line by line. */
  static String literal(String block) {
    return String.join("\n", block.lines().map(ManPage::escape).toList());
  }

  static String escape(String s) {
    String e = s.replace("\\", "\\e").replace("-", "\\-");
    return e.startsWith(".") || e.startsWith("'") ? "\\&" + e : e;
  }
}
