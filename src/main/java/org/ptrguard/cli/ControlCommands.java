package org.ptrguard.cli;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.config.Settings;
import org.ptrguard.identity.Verdict;
import org.ptrguard.ops.ControlClient;

/**
 * {@code ptrguard status} and {@code ptrguard recheck}: ask the running daemon over its control
 * socket (docs/control.md) for its live view, or to re-check every identity now.
 */
final class ControlCommands {
  static final int EXIT_NOPERM = 77;

  static final Option SOCKET = Option.valued("socket", "PATH", "the configuration's control.socket "
      + "(/run/ptrguard/control.sock, or control.sock next to a unix: milter listener)",
      "Ask the daemon listening on this control socket.").completing(Option.FILES);
  static final Option JSON = Option.flag("json", "Print the daemon's JSON document as it came, for monitoring.");

  private static final List<Command.ExitCode> EXIT_CODES = List.of(
      new Command.ExitCode(CheckCommand.EXIT_PASS, "every identity passes in the daemon's view"),
      new Command.ExitCode(CheckCommand.EXIT_WARN, "the worst verdict is a warning"),
      new Command.ExitCode(CheckCommand.EXIT_FAIL, "an identity fails"),
      new Command.ExitCode(CheckCommand.EXIT_UNKNOWN, "an identity is unknown (DNS trouble, not checked yet, or not resolved)"),
      CommonOptions.USAGE_ERROR,
      new Command.ExitCode(Commands.EXIT_UNAVAILABLE, "the daemon cannot be asked: not running, control socket off "
          + "or elsewhere, no answer in time, or it refused the request"),
      CommonOptions.INTERNAL_ERROR,
      new Command.ExitCode(EXIT_NOPERM, "permission denied on the control socket: run as root or as a member of "
          + "its group"),
      new Command.ExitCode(Commands.EXIT_CONFIG, "the configuration (read to find the control socket) is invalid"));

  static final Command STATUS_SPEC = new Command("status", "",
      "Show the running daemon's live view of every identity.",
      "Ask the running daemon (over its local control socket) what it serves right now: each identity's verdict "
          + "and findings, when it was checked and when it will be checked next, and further sections such as "
          + "receiver rejections. This is what the milter decides with; `ptrguard check` runs a fresh check of its "
          + "own. When the two differ, a fix in DNS has not reached the daemon yet: `ptrguard recheck` (or "
          + "`systemctl reload ptrguard`) makes it check again at once.",
      List.of(CommonOptions.CONFIG, SOCKET, JSON), List.of(), EXIT_CODES, 0,
      (args, out, err) -> run("status", args, out, err));

  static final Command RECHECK_SPEC = new Command("recheck", "",
      "Make the running daemon re-check every identity now.",
      "Ask the running daemon to check every identity (and route identity) again now instead of at its next "
          + "refresh, without reloading the configuration, and print its view once the checks are done (within "
          + "the check budget). Use it after fixing a PTR or an address record.",
      List.of(CommonOptions.CONFIG, SOCKET, JSON), List.of(), EXIT_CODES, 0,
      (args, out, err) -> run("recheck", args, out, err));

  private ControlCommands() {}

  static int run(String request, String[] args, PrintStream out, PrintStream err) {
    Command spec = request.equals("status") ? STATUS_SPEC : RECHECK_SPEC;
    Arguments a;
    try {
      a = Commands.parse(spec, args, out, err);
    } catch (CommandExit e) {
      return e.status();
    }
    Settings settings;
    try {
      settings = ConfigLoader.load(a.config()).settings();
    } catch (org.ptrguard.config.ConfigException e) {
      if (a.value("socket").isEmpty()) {
        err.println("ptrguard: configuration is invalid:");
        e.problems().forEach(p -> err.println("  " + p));
        return Commands.EXIT_CONFIG;
      }
      settings = defaults();
    }
    Settings s = settings;
    Optional<Path> configured = a.value("socket").map(Path::of).or(() -> s.control().socket());
    if (configured.isEmpty()) {
      err.println("ptrguard " + request + ": the control socket is off (control.socket = \"\"); give --socket PATH");
      return Commands.EXIT_UNAVAILABLE;
    }
    Path socket = configured.get();
    Duration wait = request.equals("recheck") ? settings.dns().checkBudget().plusSeconds(10) : Duration.ofSeconds(10);
    String answer;
    try {
      answer = ControlClient.request(socket, request, wait);
    } catch (ControlClient.Unavailable e) {
      err.println("ptrguard " + request + ": " + e.getMessage());
      return e.noPermission() ? EXIT_NOPERM : Commands.EXIT_UNAVAILABLE;
    } catch (IOException e) {
      err.println("ptrguard " + request + ": " + e.getMessage());
      return Commands.EXIT_UNAVAILABLE;
    }
    Map<String, Object> doc;
    try {
      doc = parse(answer);
    } catch (ConfigException e) {
      err.println("ptrguard " + request + ": the daemon's answer is not JSON: " + e.getMessage());
      return Commands.EXIT_UNAVAILABLE;
    }
    if (!Boolean.TRUE.equals(doc.get("ok"))) {
      err.println("ptrguard " + request + ": the daemon refused: " + doc.getOrDefault("error", answer));
      return Commands.EXIT_UNAVAILABLE;
    }
    Verdict overall = verdict(String.valueOf(doc.get("verdict")));
    int exit = CheckCommand.exitCode(overall);
    if (a.has("json")) {
      out.println(answer);
    } else {
      new StatusReport(out, false).print(doc, exit);
    }
    return exit;
  }

  private static Settings defaults() {
    try {
      return ConfigLoader.parse("");
    } catch (org.ptrguard.config.ConfigException e) {
      throw new IllegalStateException("the built-in defaults do not load", e);
    }
  }

  /** The daemon's JSON answer as plain maps and lists (typesafe-config reads JSON too). */
  @SuppressWarnings("unchecked")
  static Map<String, Object> parse(String json) {
    return (Map<String, Object>) ConfigFactory.parseString(json,
        ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON)).root().unwrapped();
  }

  static Verdict verdict(String word) {
    try {
      return Verdict.valueOf(word.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return Verdict.UNKNOWN; // "unchecked", or a word a newer daemon added
    }
  }

  /**
   * What {@code check} and {@code routes} learnt from the running daemon: its status document, or
   * why it could not be had (worded for the admin, one line).
   */
  record DaemonAnswer(Optional<Map<String, Object>> status, Optional<String> unavailable) {
    static DaemonAnswer of(Map<String, Object> status) {
      return new DaemonAnswer(Optional.of(status), Optional.empty());
    }

    static DaemonAnswer unavailable(String why) {
      return new DaemonAnswer(Optional.empty(), Optional.of(why));
    }
  }

  /**
   * For {@code check} and {@code routes}: the daemon's status if one answers on the control socket
   * ({@code --socket}, else the configuration's) within two seconds, else why not (no daemon, no permission, an error). Never throws: the
   * command works without the daemon and says so.
   */
  static DaemonAnswer daemonStatus(Optional<Path> socket) {
    if (socket.isEmpty()) {
      return DaemonAnswer.unavailable("the control socket is off (control.socket = \"\")");
    }
    if (!java.nio.file.Files.exists(socket.get())) {
      return DaemonAnswer.unavailable("the daemon is not running (no control socket at " + socket.get() + ")");
    }
    try {
      Map<String, Object> doc = parse(ControlClient.request(socket.get(), "status", Duration.ofSeconds(2)));
      return Boolean.TRUE.equals(doc.get("ok")) ? DaemonAnswer.of(doc)
          : DaemonAnswer.unavailable("the daemon refused: " + doc.getOrDefault("error", "no reason given"));
    } catch (IOException e) {
      return DaemonAnswer.unavailable(String.valueOf(e.getMessage()));
    } catch (ConfigException e) {
      return DaemonAnswer.unavailable("the daemon's answer is not JSON: " + e.getMessage());
    }
  }
}
