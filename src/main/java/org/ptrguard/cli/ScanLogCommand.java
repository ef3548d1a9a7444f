package org.ptrguard.cli;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import org.ptrguard.config.ConfigException;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.config.FeedbackSource;
import org.ptrguard.postfix.DeliveryLogParser;
import org.ptrguard.postfix.FeedbackSources;
import org.ptrguard.postfix.FileLogFollower;
import org.ptrguard.postfix.LineSplitter;
import org.ptrguard.postfix.LogText;
import org.ptrguard.postfix.PostfixTools;
import org.ptrguard.postfix.ReceiverReplies;
import org.ptrguard.postfix.ReceiverReplies.ReplyClass;
import org.ptrguard.postfix.RejectionScan;

/**
 * {@code ptrguard scan-log}: what receivers answered about reverse DNS and HELO, from Postfix's log
 * files (rotated and gzipped ones included) or the journal. Needs neither the daemon nor root (only
 * read access to the files), and reads logs copied from other hosts.
 */
public final class ScanLogCommand {
  static final int EXIT_NONE = 0;
  static final int EXIT_FOUND = 1;
  static final int EXIT_NO_INPUT = 66;

  public static final Command SPEC = new Command("scan-log", "[FILE...]",
      "Summarise receivers' reverse-DNS and HELO rejections in Postfix's log.",
      "Read Postfix's delivery log and list, per sending identity (the address the receiver named, else the Postfix "
          + "service that delivered) and receiver domain, the rejections about reverse DNS and HELO: counts by class "
          + "(ptr, fcrdns, helo, ipv6-ptr, other-rdns), first and last seen, one example reply and the fix. Other "
          + "rejections (spam, full mailboxes, unknown users) are left out.\n\n"
          + "FILE arguments are syslog files, Postfix maillog_file files or journalctl -o json output, plain or "
          + "gzipped, from this host or another. Without FILE: the journal when it holds Postfix's entries, else "
          + "/var/log/mail.log or Postfix's maillog_file with their rotated siblings (as feedback.source = auto), or "
          + "what feedback.source says in the file given with --config. Needs neither the daemon nor root, only read "
          + "access.",
      List.of(Option.valued("since", "DURATION", "the whole log",
              "Only lines logged within DURATION before now (30m, 24h, 7d); lines without a time are left out."),
          Option.flag("json", "Print one JSON document instead of the report."),
          CommonOptions.CONFIG, CommonOptions.POSTFIX_CONFIG),
      List.of(),
      List.of(new Command.ExitCode(EXIT_NONE, "no reverse-DNS or HELO rejection found"),
          new Command.ExitCode(EXIT_FOUND, "rejections found (listed)"),
          new Command.ExitCode(EXIT_NO_INPUT, "no log could be read (each problem is named on standard error)"),
          CommonOptions.USAGE_ERROR,
          CommonOptions.INTERNAL_ERROR,
          new Command.ExitCode(Commands.EXIT_CONFIG, "the configuration given with --config is invalid")),
      10_000, ScanLogCommand::run);

  private static final DateTimeFormatter TIME = DateTimeFormatter.ISO_INSTANT;

  private ScanLogCommand() {}

  static int run(String[] args, PrintStream out, PrintStream err) {
    return run(args, out, err, Clock.systemUTC());
  }

  static int run(String[] args, PrintStream out, PrintStream err, Clock clock) {
    Arguments a;
    try {
      a = Commands.parse(SPEC, args, out, err);
    } catch (CommandExit e) {
      return e.status();
    }
    Optional<Instant> since = Optional.empty();
    if (a.value("since").isPresent()) {
      Optional<Duration> d = duration(a.value("since").get());
      if (d.isEmpty()) {
        return Commands.usageError(SPEC, err, "--since '" + a.value("since").get() + "' is not a duration such as 30m, 24h or 7d");
      }
      since = Optional.of(clock.instant().minus(d.get()));
    }
    RejectionScan scan = new RejectionScan(new DeliveryLogParser(clock, java.time.ZoneId.systemDefault()),
        ReceiverReplies.standard(), since);
    List<String> read = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    if (!a.operands().isEmpty()) {
      for (String f : a.operands()) {
        readFile(Path.of(f), scan::accept, read, problems);
      }
    } else {
      Optional<FeedbackSource> configured;
      try {
        configured = a.config().isPresent()
            ? Optional.of(ConfigLoader.load(a.config()).settings().feedback().source()) : Optional.empty();
      } catch (ConfigException e) {
        err.println("ptrguard scan-log: configuration is invalid:");
        e.problems().forEach(p -> err.println("  " + p));
        return Commands.EXIT_CONFIG;
      }
      FeedbackSource source = configured.filter(s -> s.kind() != FeedbackSource.Kind.OFF).orElse(FeedbackSource.AUTO);
      PostfixTools postfix = PostfixTools.forInstance(a.value("postfix-config").map(Path::of));
      FeedbackSources.Resolved r = FeedbackSources.resolve(source, FeedbackSources.system(postfix));
      switch (r.kind()) {
        case JOURNAL -> readJournal(since, scan::accept, read, problems);
        case FILE -> {
          for (Path p : withRotated(r.file().orElseThrow())) {
            readFile(p, scan::accept, read, problems);
          }
        }
        default -> problems.add(r.why());
      }
    }
    problems.forEach(p -> err.println("ptrguard scan-log: " + LogText.safe(p)));
    if (read.isEmpty()) {
      return EXIT_NO_INPUT;
    }
    List<RejectionScan.Group> groups = scan.groups();
    if (a.has("json")) {
      out.println(Json.write(json(read, scan, groups, since)));
    } else {
      print(out, read, scan, groups, since);
    }
    return groups.isEmpty() ? EXIT_NONE : EXIT_FOUND;
  }

  /** typesafe-config's duration syntax (30m, 24h, 7d, "2 days"); positive only. */
  static Optional<Duration> duration(String text) {
    try {
      Duration d = ConfigFactory.parseMap(Map.of("d", text.strip())).getDuration("d");
      return d.isNegative() || d.isZero() ? Optional.empty() : Optional.of(d);
    } catch (com.typesafe.config.ConfigException e) {
      return Optional.empty();
    }
  }

  /** The file and its rotated siblings (name.1, name.2.gz, name-20261203, name.20261203-064400.gz), oldest first. */
  static List<Path> withRotated(Path file) {
    List<Path> all = new ArrayList<>();
    Path dir = file.toAbsolutePath().getParent();
    String name = file.getFileName().toString();
    if (dir != null) {
      try (var s = Files.list(dir)) {
        s.filter(p -> {
          String n = p.getFileName().toString();
          return (n.startsWith(name + ".") || n.startsWith(name + "-")) && Files.isRegularFile(p);
        }).forEach(all::add);
      } catch (IOException | RuntimeException e) {
        // the directory cannot be listed: the file itself is still tried below
      }
    }
    all.sort(Comparator.comparing(ScanLogCommand::modified));
    all.add(file);
    return all;
  }

  private static java.nio.file.attribute.FileTime modified(Path p) {
    try {
      return Files.getLastModifiedTime(p);
    } catch (IOException e) {
      return java.nio.file.attribute.FileTime.fromMillis(0);
    }
  }

  /** Reads one file (gzip recognised by its magic bytes) line by line; a problem is noted, not thrown. */
  static void readFile(Path file, Consumer<String> lines, List<String> read, List<String> problems) {
    if (Files.isDirectory(file)) {
      problems.add(file + ": is a directory");
      return;
    }
    LineSplitter splitter = new LineSplitter(FileLogFollower.MAX_LINE, lines);
    try (InputStream raw = new java.io.BufferedInputStream(Files.newInputStream(file))) {
      raw.mark(2);
      boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
      raw.reset();
      try (InputStream in = gzip ? new GZIPInputStream(raw, 64 * 1024) : raw) {
        byte[] buf = new byte[64 * 1024];
        int n;
        while ((n = in.read(buf)) > 0) {
          splitter.feed(buf, 0, n);
        }
      }
      splitter.finish();
      read.add(file.toString());
    } catch (java.nio.file.NoSuchFileException e) {
      problems.add(file + ": no such file");
    } catch (java.nio.file.AccessDeniedException e) {
      problems.add(file + ": not readable by user " + System.getProperty("user.name"));
    } catch (IOException e) {
      // a truncated .gz: what was read so far still counts
      splitter.finish();
      problems.add(file + ": " + e.getMessage() + " (read up to there)");
      read.add(file.toString());
    }
  }

  private static void readJournal(Optional<Instant> since, Consumer<String> lines, List<String> read, List<String> problems) {
    List<String> command = new ArrayList<>(List.of("journalctl", "--output=json", "--no-pager", "--quiet"));
    since.ifPresent(t -> command.add("--since=@" + t.getEpochSecond()));
    command.addAll(List.of("_COMM=smtp", "_COMM=lmtp"));
    try {
      Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD)
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
      LineSplitter splitter = new LineSplitter(FileLogFollower.MAX_LINE, lines);
      try (InputStream in = p.getInputStream()) {
        byte[] buf = new byte[64 * 1024];
        int n;
        while ((n = in.read(buf)) > 0) {
          splitter.feed(buf, 0, n);
        }
      }
      splitter.finish();
      int exit = p.waitFor();
      if (exit != 0) {
        problems.add("journalctl exited with status " + exit);
      }
      read.add("journal");
    } catch (IOException e) {
      problems.add("journalctl cannot be run: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      problems.add("interrupted while reading the journal");
    }
  }

  private static void print(PrintStream out, List<String> read, RejectionScan scan, List<RejectionScan.Group> groups,
      Optional<Instant> since) {
    out.println("Read " + String.join(", ", read.stream().map(LogText::safe).toList()) + ": " + scan.linesRead()
        + " lines, " + scan.clientLines() + " smtp/lmtp client lines" + since.map(t -> " since " + TIME.format(t)).orElse("")
        + ".");
    if (groups.isEmpty()) {
      out.println("No receiver rejected mail for reverse DNS or HELO reasons.");
      return;
    }
    for (RejectionScan.Group g : groups) {
      out.println();
      out.println(g.identity() + " -> " + g.receiverDomain() + "  (" + g.receiver()
          + g.family().map(f -> ", " + f.word()).orElse("") + ")");
      out.println("  " + counts(g) + "; bounced " + g.bounced() + ", deferred " + g.deferred());
      out.println("  first " + g.first().map(TIME::format).orElse("?") + ", last " + g.last().map(TIME::format).orElse("?"));
      out.println("  example (" + g.rule() + "): " + g.example());
      out.println("  fix: " + g.fix());
    }
  }

  private static String counts(RejectionScan.Group g) {
    List<String> parts = new ArrayList<>();
    for (ReplyClass c : ReplyClass.values()) {
      Integer n = g.counts().get(c);
      if (n != null) {
        parts.add(c.word() + " " + n);
      }
    }
    return String.join(", ", parts);
  }

  private static Map<String, Object> json(List<String> read, RejectionScan scan, List<RejectionScan.Group> groups,
      Optional<Instant> since) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("read", read);
    doc.put("since", since.map(TIME::format).orElse(null));
    doc.put("lines", scan.linesRead());
    doc.put("clientLines", scan.clientLines());
    List<Object> list = new ArrayList<>();
    for (RejectionScan.Group g : groups) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("identity", g.identity());
      m.put("receiverDomain", g.receiverDomain());
      m.put("receiver", g.receiver());
      m.put("family", g.family().map(f -> f.word()).orElse(null));
      Map<String, Object> counts = new LinkedHashMap<>();
      for (ReplyClass c : ReplyClass.values()) {
        counts.put(c.word(), g.counts().getOrDefault(c, 0));
      }
      m.put("counts", counts);
      m.put("bounced", g.bounced());
      m.put("deferred", g.deferred());
      m.put("first", g.first().map(TIME::format).orElse(null));
      m.put("last", g.last().map(TIME::format).orElse(null));
      m.put("example", g.example());
      m.put("rule", g.rule());
      m.put("source", g.source());
      m.put("fix", g.fix());
      list.add(m);
    }
    doc.put("rejections", list);
    return doc;
  }
}
