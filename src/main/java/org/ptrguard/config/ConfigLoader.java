package org.ptrguard.config;

import static org.ptrguard.config.Origins.where;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.ptrguard.config.Settings.AuditSettings;
import org.ptrguard.config.Settings.DnsSettings;
import org.ptrguard.config.Settings.EgressAnswer;
import org.ptrguard.config.Settings.EgressDiscover;
import org.ptrguard.config.Settings.EgressSettings;
import org.ptrguard.config.Settings.EnforceAction;
import org.ptrguard.config.Settings.EnforceSettings;
import org.ptrguard.config.Settings.FeedbackSettings;
import org.ptrguard.config.Settings.GenericPtr;
import org.ptrguard.config.Settings.IdentitySettings;
import org.ptrguard.config.Settings.LimitSettings;
import org.ptrguard.config.Settings.LogSettings;
import org.ptrguard.config.Settings.ControlSettings;
import org.ptrguard.config.Settings.MetricsSettings;
import org.ptrguard.config.Settings.Mode;
import org.ptrguard.config.Settings.OnDnsError;
import org.ptrguard.config.Settings.RefreshSettings;
import org.ptrguard.config.Settings.RouteMode;
import org.ptrguard.config.Settings.RouteSettings;
import org.ptrguard.config.Settings.ScopeSettings;
import org.ptrguard.config.Settings.Severity;
import org.ptrguard.config.Settings.UnixSocketSettings;
import org.ptrguard.net.CidrRange;
import org.ptrguard.net.IpLiterals;
import org.ptrguard.net.ListenAddress;
import org.ptrguard.ops.LogLevel;

/**
 * Loads and validates the configuration: the admin's file over the embedded {@code reference.conf}.
 * Every setting is read eagerly so that every problem is reported at once, with file and line, at
 * start or reload, and never surfaces later in the mail path.
 */
public final class ConfigLoader {
  public static final Path SYSTEM_FILE = Path.of("/etc/ptrguard/ptrguard.conf");
  public static final String MODE_ENV = "PTRGUARD_MODE";

  private static final Set<String> IDENTITY_KEYS =
      Set.of("name", "ip", "ehlo", "senders", "services", "generic-ptr");

  /** A host name as the egress server or question name: letters, digits, hyphens, underscores, dots. */
  private static final java.util.regex.Pattern DNS_NAME =
      java.util.regex.Pattern.compile("(?=.{1,253}\\.?$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\\.)*[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\\.?");

  /** A loaded configuration, where it came from, and non-fatal remarks (unknown keys, ...). */
  public record LoadedConfig(Settings settings, String source, List<String> warnings, Config merged) {}

  private ConfigLoader() {}

  /** --config FILE if given, else the system file if present, else the embedded defaults. */
  public static LoadedConfig load(Optional<Path> explicitFile) throws ConfigException {
    return load(explicitFile, SYSTEM_FILE, System.getenv());
  }

  static LoadedConfig load(Optional<Path> explicitFile, Path systemFile, Map<String, String> env)
      throws ConfigException {
    // A system file that is there but out of reach (a directory this user cannot search) is an error
    // naming it, not a silent fall-back to the defaults: notExists is false when existence is unknown.
    Optional<Path> file = explicitFile.or(() -> Files.notExists(systemFile) ? Optional.empty() : Optional.of(systemFile));
    String source = file.map(Path::toString).orElse("embedded defaults");
    List<String> warnings = new ArrayList<>();
    return shallow(source, () -> {
      Config admin = ConfigFactory.empty("embedded defaults");
      if (file.isPresent()) {
        admin = parseFile(file.get(), warnings);
      }
      return build(admin, source, env, warnings);
    });
  }

  /** Parses HOCON text over the defaults, without environment overrides (for tests and tools). */
  public static Settings parse(String hocon) throws ConfigException {
    return shallow("inline", () -> {
      Config admin;
      try {
        admin = ConfigFactory.parseString(hocon, ConfigFile.inlineOptions("inline"));
      } catch (com.typesafe.config.ConfigException e) {
        throw new ConfigException(e.getMessage());
      }
      return build(admin, "inline", Map.of(), new ArrayList<>()).settings();
    });
  }

  /** Bounds on durations (see ConfigReference for why each): below these, refused or raised. */
  public static final Duration MIN_DNS_TIMEOUT = Duration.ofMillis(50);
  public static final Duration MIN_REFRESH = Duration.ofSeconds(1);
  /** Longest feedback.hold-for accepted. */
  static final Duration MAX_HOLD_FOR = Duration.ofDays(7);
  public static final Duration MIN_IDLE_TIMEOUT = Duration.ofSeconds(1);
  static final Duration POSTFIX_SMTPD_TIMEOUT = Duration.ofSeconds(300);

  /** "1ns", "250ms", "2s", "5m": a duration as an admin writes it. */
  static String pretty(Duration d) {
    if (d.toNanos() % 1_000_000 != 0) {
      return d.toNanos() + "ns";
    }
    long ms = d.toMillis();
    if (ms % 1000 != 0) {
      return ms + "ms";
    }
    long sec = ms / 1000;
    return sec % 60 == 0 && sec > 0 ? sec / 60 + "m" : sec + "s";
  }

  /** Deeper nesting of [ ] and { } than any real configuration needs (the shipped one has 3). */
  static final int MAX_DEPTH = 32;

  private interface Step<T> {
    T run() throws ConfigException;
  }

  /**
   * typesafe-config parses and resolves recursively, so thousands of nested brackets overflow the
   * stack inside it. That is bad input like any other: one line naming the limit, not a trace.
   */
  private static <T> T shallow(String source, Step<T> step) throws ConfigException {
    try {
      return step.run();
    } catch (StackOverflowError e) {
      throw new ConfigException(source + ": nested too deeply (more than " + MAX_DEPTH + " levels of [ ] or { })");
    }
  }

  private static Config parseFile(Path file, List<String> warnings) throws ConfigException {
    if (!Files.isRegularFile(file)) {
      Path dir = file.toAbsolutePath().getParent();
      if (!Files.notExists(file) && dir != null && !Files.isExecutable(dir)) {
        throw new ConfigException(file + ": cannot be reached: directory " + dir + " is not searchable by this user"
            + access(dir));
      }
      throw new ConfigException(file + ": no such configuration file");
    }
    if (!Files.isReadable(file)) {
      throw new ConfigException(file + ": not readable by this user" + access(file));
    }
    String text = ConfigFile.readSettled(file);
    if (ConfigFile.isBlank(text)) {
      warnings.add(file + ": the file is empty, so every setting is its default (audit mode, ip = auto,"
          + " the system resolver); it stayed empty for " + ConfigFile.QUIET_WHEN_BLANK.toMillis() + " ms, so it was"
          + " taken as meant");
    }
    try {
      return ConfigFile.parse(file, text, warnings);
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException(e.getMessage());
    }
  }

  /** " (user alice; the file is root:ptrguard 0640)": why the file cannot be read, where that can be found out. */
  private static String access(Path file) {
    try {
      java.nio.file.attribute.PosixFileAttributes a = Files.readAttributes(file,
          java.nio.file.attribute.PosixFileAttributes.class);
      return " (user " + System.getProperty("user.name") + "; the file is " + a.owner().getName() + ":"
          + a.group().getName() + " " + java.nio.file.attribute.PosixFilePermissions.toString(a.permissions())
          + "; run as root or a member of its group, or give check --ip and --ehlo, which need no configuration)";
    } catch (java.io.IOException | UnsupportedOperationException | SecurityException e) {
      return " (" + e.getMessage() + ")";
    }
  }

  private static LoadedConfig build(Config admin, String source, Map<String, String> env, List<String> remarks)
      throws ConfigException {
    if (depth(admin.root()) > MAX_DEPTH) {
      throw new ConfigException(source + ": nested too deeply (more than " + MAX_DEPTH + " levels of [ ] or { })");
    }
    // Parsed directly rather than via ConfigFactory.defaultReference(), which would also merge
    // every JVM system property into the tree.
    Config reference = ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), "reference.conf");
    String modeOverride = env.get(MODE_ENV);
    if (modeOverride != null && !modeOverride.isBlank()) {
      admin = admin.withValue("mode",
          ConfigValueFactory.fromAnyRef(modeOverride.trim(), "environment variable " + MODE_ENV));
    }
    Config merged;
    try {
      merged = admin.withFallback(reference).resolve();
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException(e.getMessage());
    }
    List<String> warnings = new ArrayList<>(remarks);
    warnings.addAll(UnknownKeys.find(admin, reference));
    Reader r = new Reader(merged, admin.root().containsKey("identities"));
    Settings settings;
    try {
      settings = r.settings();
    } catch (com.typesafe.config.ConfigException e) {
      // A shape the typed getters did not foresee: still the admin's problem to fix, not a crash.
      r.problems.add(e.getMessage());
      throw new ConfigException(r.problems);
    }
    if (!r.problems.isEmpty()) {
      throw new ConfigException(r.problems);
    }
    warnings.addAll(r.warnings);
    return new LoadedConfig(settings, source, List.copyOf(warnings), merged);
  }

  /** Nesting depth of objects and lists, walked without recursion (the walk itself must not overflow). */
  static int depth(ConfigValue root) {
    int deepest = 0;
    java.util.ArrayDeque<Map.Entry<ConfigValue, Integer>> todo = new java.util.ArrayDeque<>();
    todo.push(Map.entry(root, 1));
    while (!todo.isEmpty()) {
      Map.Entry<ConfigValue, Integer> e = todo.pop();
      ConfigValue v = e.getKey();
      int d = e.getValue();
      if (v instanceof ConfigObject o) {
        deepest = Math.max(deepest, d);
        o.values().forEach(child -> todo.push(Map.entry(child, d + 1)));
      } else if (v instanceof ConfigList l) {
        deepest = Math.max(deepest, d);
        l.forEach(child -> todo.push(Map.entry(child, d + 1)));
      }
      if (deepest > MAX_DEPTH) {
        return deepest;
      }
    }
    return deepest;
  }

  /** Reads each setting, collecting every problem instead of stopping at the first. */
  private static final class Reader {
    private final Config c;
    private final List<String> problems = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();

    /** Whether the admin's file (not reference.conf) sets {@code identities}. */
    private final boolean identitiesWritten;

    Reader(Config c) {
      this(c, true);
    }

    Reader(Config c, boolean identitiesWritten) {
      this.c = c;
      this.identitiesWritten = identitiesWritten;
    }

    Settings settings() {
      List<ListenAddress> listen = listen();
      List<IdentitySettings> identities = identities();
      Settings s = new Settings(
          enumValue("mode", Mode.class, Mode.AUDIT),
          listen,
          unixSocket(),
          allowFrom(listen),
          identities,
          new ScopeSettings(cidrList("scope.clients")),
          dns(),
          refresh(),
          enforce(),
          new AuditSettings(bool("audit.add-header")),
          enumValue("on-dns-error", OnDnsError.class, OnDnsError.ACCEPT),
          new LogSettings(logLevel()),
          new MetricsSettings(metricsListen()),
          limits(),
          routes(identitiesWritten && identities.stream().anyMatch(Reader::saysMoreThanDiscovery)),
          feedback(),
          control());
      try {
        ListenAddress.checkDistinct(s.listen(), s.metrics().listen());
      } catch (IllegalArgumentException e) {
        problem("listen", e.getMessage());
      }
      return s;
    }

    private List<ListenAddress> listen() {
      List<String> specs = stringList("listen");
      if (specs.isEmpty()) {
        problem("listen", "at least one listener is needed, e.g. \"inet:127.0.0.1:8894\"");
      }
      return parsedList("listen", specs, ListenAddress::parse);
    }

    private UnixSocketSettings unixSocket() {
      String mode = string("unix-socket.mode").trim();
      if (!mode.matches("0?[0-7]{3}")) {
        problem("unix-socket.mode", "'" + mode + "' must be an octal mode such as \"0660\"");
      } else {
        warnAboutSocketMode(Integer.parseInt(mode, 8));
      }
      String group = string("unix-socket.group").trim();
      if (!group.isEmpty() && !group.matches("[a-z_][a-z0-9_-]*\\$?")) {
        problem("unix-socket.group", "'" + group + "' is not a valid group name");
      }
      return new UnixSocketSettings(mode, group.isEmpty() ? Optional.empty() : Optional.of(group));
    }

    /** Legal but surely not meant: anyone on the host may talk to the milter, or bits a socket ignores. */
    private void warnAboutSocketMode(int bits) {
      List<String> notes = new ArrayList<>();
      if ((bits & 0002) != 0) {
        notes.add("every local user may connect to the milter (Postfix needs only the group: 0660 with"
            + " unix-socket.group = postfix)");
      }
      if ((bits & 0111) != 0) {
        notes.add("execute bits mean nothing on a socket");
      }
      if (!notes.isEmpty()) {
        warn("unix-socket.mode", String.format(Locale.ROOT, "%04o: ", bits) + String.join("; ", notes));
      }
    }

    private List<CidrRange> cidrList(String path) {
      List<CidrRange> ranges = parsedList(path, stringList(path), CidrRange::parse);
      for (CidrRange r : ranges) {
        if (!r.equals(r.canonical())) {
          warn(path, r + " has bits set after its /" + r.prefixLength() + " prefix; it means " + r.canonical());
        }
      }
      return ranges;
    }

    /**
     * An empty allow-from refuses every TCP client, Postfix included, which then applies
     * milter_default_action (tempfail) to all mail: surely not meant while a TCP listener exists.
     * A /0 range lets any host that reaches the listener use the milter: legal, worth a warning.
     */
    private List<CidrRange> allowFrom(List<ListenAddress> listeners) {
      int problemsBefore = problems.size();
      List<CidrRange> ranges = cidrList("allow-from");
      boolean tcp = listeners.stream().anyMatch(l -> l instanceof ListenAddress.Inet);
      if (ranges.isEmpty() && tcp && problems.size() == problemsBefore) {
        problem("allow-from", "is empty, so the TCP listener would refuse every client, Postfix included; list"
            + " Postfix's address (e.g. [\"127.0.0.0/8\", \"::1/128\"]), or listen on a unix socket only");
      }
      for (CidrRange r : ranges) {
        if (r.prefixLength() == 0 && tcp) {
          warn("allow-from", r + " lets any host that can reach the TCP listener use the milter");
        }
      }
      return ranges;
    }

    private List<IdentitySettings> identities() {
      List<IdentitySettings> result = new ArrayList<>();
      ConfigList list;
      try {
        list = c.getList("identities");
      } catch (com.typesafe.config.ConfigException e) {
        problems.add(e.getMessage());
        return result;
      }
      if (list.isEmpty()) {
        problem("identities", "at least one identity is needed, e.g. { name = default, ip = [\"auto\"], ehlo = auto }");
      }
      for (int i = 0; i < list.size(); i++) {
        ConfigValue v = list.get(i);
        if (v.valueType() != ConfigValueType.OBJECT) {
          problems.add(where(v.origin()) + "identities[" + i + "]: must be an object like { name = ..., ip = [...], ehlo = ... }");
          continue;
        }
        identity(i, (ConfigObject) v).ifPresent(result::add);
      }
      checkIdentitySet(result);
      return result;
    }

    private Optional<IdentitySettings> identity(int index, ConfigObject object) {
      String label = "identities[" + index + "]";
      for (String key : object.keySet()) {
        if (!IDENTITY_KEYS.contains(key)) {
          warnings.add(where(object.get(key).origin()) + label + "." + key + ": unknown key"
              + UnknownKeys.suggestion(key, IDENTITY_KEYS) + ", ignored");
        }
      }
      Config ic = object.toConfig();
      Reader sub = new Reader(ic);
      String name = ic.hasPath("name") ? sub.string("name") : (index == 0 ? "default" : "identity-" + (index + 1));
      List<String> ips = ic.hasPath("ip") ? sub.stringOrList("ip") : List.of(IdentitySettings.AUTO);
      List<InetAddress> literalIps = new ArrayList<>();
      String ehlo = ic.hasPath("ehlo") ? sub.string("ehlo") : IdentitySettings.AUTO;
      List<String> senders = ic.hasPath("senders") ? sub.stringList("senders") : List.of();
      List<String> services = ic.hasPath("services") ? sub.stringList("services") : List.of();
      GenericPtr generic = ic.hasPath("generic-ptr") ? sub.enumValue("generic-ptr", GenericPtr.class, GenericPtr.WARN) : GenericPtr.WARN;
      sub.problems.forEach(p -> problems.add(p + " (in " + label + ")"));
      int before = problems.size();
      if (name.isBlank()) {
        problems.add(where(object.origin()) + label + ".name: must not be empty");
      }
      if (ips.isEmpty()) {
        problems.add(where(object.origin()) + label + ".ip: list at least one address or \"auto\"");
      }
      for (String ip : ips) {
        if (!IdentitySettings.AUTO.equals(ip)) {
          IpLiterals.parse(ip).ifPresentOrElse(literalIps::add, () -> problems.add(where(object.get("ip").origin())
              + label + ".ip: '" + ip + "' is neither an IP address nor \"auto\""));
        }
      }
      if (ehlo.isBlank()) {
        problems.add(where(object.origin()) + label + ".ehlo: must be a host name or \"auto\"");
      }
      for (String sender : senders) {
        if (!sender.matches("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")) {
          problems.add(where(object.get("senders").origin()) + label + ".senders: '" + sender
              + "' is not a domain name (write example.org, without @)");
        }
      }
      if (problems.size() > before || !sub.problems.isEmpty()) {
        return Optional.empty();
      }
      Optional<String> ehloName = IdentitySettings.AUTO.equals(ehlo) ? Optional.empty() : Optional.of(ehlo.toLowerCase(Locale.ROOT));
      return Optional.of(new IdentitySettings(name, literalIps, ips.contains(IdentitySettings.AUTO), ehloName, lower(senders),
          services, generic));
    }

    private void checkIdentitySet(List<IdentitySettings> ids) {
      Set<String> names = new HashSet<>();
      for (IdentitySettings id : ids) {
        if (!names.add(id.name())) {
          problem("identities", "two identities are named '" + id.name() + "'");
        }
      }
      long defaults = ids.stream().filter(id -> id.senders().isEmpty() && id.services().isEmpty()).count();
      if (defaults > 1) {
        problem("identities", "only one identity may apply to all traffic (no senders or services); found " + defaults);
      } else if (defaults == 0 && !ids.isEmpty()) {
        warnings.add(where(c.getValue("identities").origin())
            + "identities: every identity lists senders or services, so other traffic is not guarded");
      }
    }

    private DnsSettings dns() {
      Duration timeout = atLeast("dns.timeout", MIN_DNS_TIMEOUT, "no resolver answers reliably that fast, so"
          + " every lookup would fail");
      Duration budget = positiveDuration("dns.check-budget");
      if (timeout != null && budget != null && budget.compareTo(timeout) < 0) {
        problem("dns.check-budget", "must be at least dns.timeout (" + timeout.toMillis() + " ms)");
      }
      if (budget != null && budget.compareTo(Duration.ofSeconds(25)) > 0) {
        // Postfix waits milter_command_timeout (30 s) for a reply; a longer budget would trip it.
        problem("dns.check-budget", "must stay below 25s: Postfix gives a milter 30s to answer");
      }
      return new DnsSettings(parsedList("dns.resolvers", ResolverAddress::parse),
          parsedList("dns.compare-with", ResolverAddress::parse),
          timeout, budget, positiveDuration("dns.stale-max"), bool("dns.authoritative"),
          intInRange("dns.authoritative-port", 1, 65535), egress());
    }

    private EgressSettings egress() {
      EgressDiscover discover = enumValue("egress.discover", EgressDiscover.class, EgressDiscover.OFF);
      String server = string("egress.server").trim();
      if (IpLiterals.parse(server).isEmpty() && !DNS_NAME.matcher(server).matches()) {
        problem("egress.server", "'" + server + "' is neither an address nor a host name");
      }
      int port = intInRange("egress.port", 1, 65535);
      String name = string("egress.name").trim();
      if (!DNS_NAME.matcher(name).matches()) {
        problem("egress.name", "'" + name + "' is not a DNS name");
      }
      return new EgressSettings(discover, server, port, name, enumValue("egress.type", EgressAnswer.class, EgressAnswer.TXT));
    }

    private RefreshSettings refresh() {
      Duration min = clampedUp("refresh.min", MIN_REFRESH, "re-checking more often only floods the resolvers");
      Duration max = clampedUp("refresh.max", MIN_REFRESH, "re-checking more often only floods the resolvers");
      if (min != null && max != null && max.compareTo(min) < 0) {
        problem("refresh.max", "must not be shorter than refresh.min");
      }
      return new RefreshSettings(min, max);
    }

    private EnforceSettings enforce() {
      EnforceAction action = enumValue("enforce.action", EnforceAction.class, EnforceAction.TEMPFAIL);
      ReplyTemplate reply = null;
      try {
        reply = ReplyTemplate.parse(string("enforce.reply"));
      } catch (IllegalArgumentException e) {
        problem("enforce.reply", e.getMessage());
      }
      Set<Severity> blockOn = EnumSet.noneOf(Severity.class);
      for (String s : stringList("enforce.block-on")) {
        parseEnum(s, Severity.class).ifPresentOrElse(blockOn::add,
            () -> problem("enforce.block-on", "'" + s + "' must be fail or warn"));
      }
      if (!blockOn.contains(Severity.FAIL)) {
        problem("enforce.block-on", "must include fail (add warn to be stricter, never less)");
      }
      return new EnforceSettings(action, reply, blockOn);
    }

    private LogLevel logLevel() {
      String level = string("log.level").toLowerCase(Locale.ROOT);
      Optional<LogLevel> parsed = parseEnum(level, LogLevel.class);
      if (parsed.isEmpty()) {
        problem("log.level", "'" + level + "' must be error, warn, info, debug or trace");
      }
      return parsed.orElse(LogLevel.INFO);
    }

    /**
     * An identity that only asks for discovery ({@code ip = auto, ehlo = auto}, for all traffic, the
     * default generic-ptr) describes nothing the routes do not: like writing no identities at all.
     */
    private static boolean saysMoreThanDiscovery(IdentitySettings id) {
      return !id.literalIps().isEmpty() || !id.autoEhlo() || !id.senders().isEmpty() || !id.services().isEmpty()
          || id.genericPtr() != GenericPtr.WARN;
    }

    private RouteSettings routes(boolean identitiesWritten) {
      String dir = string("routes.postfix-config");
      if (!dir.isEmpty() && !dir.startsWith("/")) {
        problem("routes.postfix-config", "'" + dir + "' must be an absolute directory path (like postconf -c), or empty");
      }
      return new RouteSettings(routeMode(), dir.isEmpty() ? Optional.empty() : Optional.of(java.nio.file.Path.of(dir)),
          identitiesWritten);
    }

    /** yes/true/on, no/false/off (HOCON's booleans), or auto. */
    private RouteMode routeMode() {
      String s = string("routes.enabled").trim().toLowerCase(Locale.ROOT);
      return switch (s) {
        case "yes", "true", "on" -> RouteMode.YES;
        case "no", "false", "off" -> RouteMode.NO;
        case "auto" -> RouteMode.AUTO;
        default -> {
          problem("routes.enabled", "'" + s + "' must be yes, no or auto");
          yield RouteMode.NO;
        }
      };
    }

    private FeedbackSettings feedback() {
      FeedbackSource source = FeedbackSource.AUTO;
      try {
        source = FeedbackSource.parse(string("feedback.source"));
      } catch (IllegalArgumentException e) {
        problem("feedback.source", e.getMessage());
      }
      Duration holdFor = atLeast("feedback.hold-for", Duration.ofMinutes(1),
          "a mark shorter than a minute ends before the next queue run tries the route again");
      if (holdFor != null && holdFor.compareTo(MAX_HOLD_FOR) > 0) {
        problem("feedback.hold-for", pretty(holdFor) + " is above " + pretty(MAX_HOLD_FOR)
            + ": a mark that long outlives any fix; set feedback.enforce = false instead");
      }
      return new FeedbackSettings(source, bool("feedback.enforce"), holdFor);
    }

    /**
     * {@code auto}: next to the first unix milter listener (the directory Postfix and the admin
     * already share with ptrguard), else in /run/ptrguard; "" switches the endpoint off.
     */
    private ControlSettings control() {
      String spec = string("control.socket").trim();
      if (spec.isEmpty()) {
        return new ControlSettings(Optional.empty(), false);
      }
      if (spec.equals("auto")) {
        java.nio.file.Path dir = ControlSettings.DEFAULT_DIR;
        for (ListenAddress l : listenOrEmpty()) {
          if (l instanceof ListenAddress.Unix u && u.path().getParent() != null) {
            dir = u.path().getParent();
            break;
          }
        }
        return new ControlSettings(Optional.of(dir.resolve(ControlSettings.FILE_NAME)), true);
      }
      if (!spec.startsWith("/")) {
        problem("control.socket", "'" + spec + "' must be an absolute path, auto, or \"\" (off)");
        return new ControlSettings(Optional.empty(), false);
      }
      if (spec.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > ListenAddress.Unix.MAX_PATH_BYTES) {
        problem("control.socket", "'" + spec + "' is longer than " + ListenAddress.Unix.MAX_PATH_BYTES
            + " bytes, the most a unix socket path can have");
        return new ControlSettings(Optional.empty(), false);
      }
      return new ControlSettings(Optional.of(java.nio.file.Path.of(spec)), false);
    }

    private List<ListenAddress> listenOrEmpty() {
      try {
        return stringList("listen").stream().map(ListenAddress::parse).toList();
      } catch (RuntimeException e) {
        return List.of(); // listen() reports it
      }
    }

    private Optional<InetSocketAddress> metricsListen() {
      String spec = string("metrics.listen").trim();
      if (spec.isEmpty()) {
        return Optional.empty();
      }
      if (!spec.matches(".*:\\d+$")) {
        problem("metrics.listen", "'" + spec + "' must be HOST:PORT, e.g. \"127.0.0.1:9894\"");
        return Optional.empty();
      }
      try {
        return Optional.of(ResolverAddress.parse(spec).socketAddress());
      } catch (IllegalArgumentException e) {
        problem("metrics.listen", "'" + spec + "' must be an address literal and port, e.g. \"127.0.0.1:9894\"");
        return Optional.empty();
      }
    }

    private LimitSettings limits() {
      return new LimitSettings(
          intInRange("limits.max-frame-bytes", 65_540, 16 * 1024 * 1024),
          intInRange("limits.max-connections", 1, 1_000_000),
          idleTimeout(),
          intInRange("limits.max-macros-per-stage", 1, 10_000),
          intInRange("limits.max-macro-bytes", 1024, 16 * 1024 * 1024),
          intInRange("limits.max-waiting-sessions", 0, 1_000_000));
    }

    /**
     * Below a second, Postfix's connection would be cut between two commands of one SMTP session;
     * below Postfix's smtpd_timeout (300 s), a client pausing that long between SMTP commands would
     * lose its milter session. Either way Postfix applies milter_default_action to the mail.
     */
    private Duration idleTimeout() {
      Duration idle = atLeast("limits.idle-timeout", MIN_IDLE_TIMEOUT, "Postfix's connection would be cut between"
          + " the commands of one SMTP session");
      if (idle != null && idle.compareTo(POSTFIX_SMTPD_TIMEOUT) < 0) {
        warn("limits.idle-timeout", pretty(idle) + " is shorter than Postfix's smtpd_timeout (300s): a session whose"
            + " client pauses longer between SMTP commands loses the milter, and milter_default_action applies");
      }
      return idle;
    }

    /** A duration below {@code floor} is refused: such a value is a slip of the unit (1ms for 1m), not a choice. */
    private Duration atLeast(String path, Duration floor, String why) {
      Duration d = positiveDuration(path);
      if (d != null && d.compareTo(floor) < 0) {
        problem(path, pretty(d) + " is below " + pretty(floor) + ": " + why);
        return null;
      }
      return d;
    }

    /** A duration below {@code floor} is raised to it with a warning: more is always safe here. */
    private Duration clampedUp(String path, Duration floor, String why) {
      Duration d = positiveDuration(path);
      if (d != null && d.compareTo(floor) < 0) {
        warn(path, pretty(d) + " is below " + pretty(floor) + " (" + why + "); using " + pretty(floor));
        return floor;
      }
      return d;
    }

    // ---- typed getters that record problems instead of throwing ----

    private String string(String path) {
      try {
        return c.getString(path);
      } catch (com.typesafe.config.ConfigException e) {
        problems.add(e.getMessage());
        return "";
      }
    }

    private boolean bool(String path) {
      try {
        return c.getBoolean(path);
      } catch (com.typesafe.config.ConfigException e) {
        problems.add(e.getMessage());
        return false;
      }
    }

    private List<String> stringList(String path) {
      try {
        return List.copyOf(c.getStringList(path));
      } catch (com.typesafe.config.ConfigException e) {
        problems.add(e.getMessage());
        return List.of();
      }
    }

    /** A single string is accepted where a list is expected ({@code ip = "192.0.2.1"}). */
    private List<String> stringOrList(String path) {
      if (c.getValue(path).valueType() == ConfigValueType.STRING) {
        return List.of(string(path));
      }
      return stringList(path);
    }

    private <T> List<T> parsedList(String path, Function<String, T> parser) {
      return parsedList(path, stringList(path), parser);
    }

    private <T> List<T> parsedList(String path, List<String> texts, Function<String, T> parser) {
      List<T> result = new ArrayList<>();
      for (String s : texts) {
        try {
          result.add(parser.apply(s));
        } catch (IllegalArgumentException e) {
          problem(path, e.getMessage());
        }
      }
      return List.copyOf(result);
    }

    private Duration positiveDuration(String path) {
      try {
        Duration d = c.getDuration(path);
        if (d.isNegative() || d.isZero()) {
          problem(path, "must be a positive duration such as 2s or 5m");
          return null;
        }
        return d;
      } catch (com.typesafe.config.ConfigException e) {
        problems.add(e.getMessage());
        return null;
      }
    }

    private int intInRange(String path, int min, int max) {
      try {
        int v = c.getInt(path);
        if (v < min || v > max) {
          problem(path, "must be between " + min + " and " + max + ", got " + v);
        }
        return v;
      } catch (com.typesafe.config.ConfigException e) {
        problems.add(e.getMessage());
        return min;
      }
    }

    private <E extends Enum<E>> E enumValue(String path, Class<E> type, E fallback) {
      String s = string(path);
      Optional<E> value = parseEnum(s, type);
      if (value.isEmpty() && !s.isEmpty()) {
        problem(path, "'" + s + "' must be one of " + choices(type));
      }
      return value.orElse(fallback);
    }

    private void warn(String path, String message) {
      ConfigOrigin origin = c.hasPath(path) ? c.getValue(path).origin() : c.root().origin();
      warnings.add(where(origin) + path + ": " + message);
    }

    private void problem(String path, String message) {
      // hasPath, not hasPathOrNull: getValue throws on an explicit null ("log.level = null").
      ConfigOrigin origin = c.hasPath(path) ? c.getValue(path).origin() : c.root().origin();
      problems.add(where(origin) + path + ": " + message);
    }
  }

  private static <E extends Enum<E>> Optional<E> parseEnum(String s, Class<E> type) {
    for (E e : type.getEnumConstants()) {
      if (e.name().replace('_', '-').equalsIgnoreCase(s.trim())) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }

  private static <E extends Enum<E>> String choices(Class<E> type) {
    List<String> names = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      names.add(e.name().toLowerCase(Locale.ROOT).replace('_', '-'));
    }
    return String.join(", ", names);
  }

  private static List<String> lower(List<String> values) {
    return values.stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
  }
}
