package org.ptrguard.postfix;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ptrguard.net.IpLiterals;
import org.ptrguard.postfix.DeliveryLogLine.Event;
import org.ptrguard.postfix.DeliveryLogLine.Receiver;
import org.ptrguard.postfix.DeliveryLogLine.Reply;
import org.ptrguard.postfix.DeliveryLogLine.Status;

/**
 * Reads Postfix smtp/lmtp client lines in the forms Postfix's log reaches a host in: syslog files
 * (traditional {@code Dec  3 06:44:20 host tag[pid]: ...} and RFC 3339 timestamps), Postfix's own
 * {@code maillog_file} (postlogd, same layout with optional fractions of a second), and the journal
 * ({@code journalctl --output=json}, one object per line). Everything else yields empty: other
 * programs, other Postfix daemons, truncated or binary lines. Never throws on any input.
 *
 * <p>Traditional syslog timestamps carry no year and no zone: the year is the one that puts the
 * time at most two days after the parser's clock (so December lines read in January land in the
 * old year), the zone the parser's (the host's local time, as rsyslog writes it).
 */
public final class DeliveryLogParser {
  /** Longest line looked at; the rest is dropped before any regular expression runs. */
  public static final int MAX_LINE = 16 * 1024;

  private static final String TAG = "(?<tag>[^\\s\\[\\]:]{1,200})\\[(?<pid>\\d{1,10})\\]: ";
  private static final Pattern TRADITIONAL = Pattern.compile(
      "(?<ts>[A-Z][a-z]{2} [ 0-3]?\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d{1,9})?) (?<host>\\S{1,255}) " + TAG);
  private static final Pattern RFC3339 = Pattern.compile(
      "(?<ts>\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:\\.\\d{1,9})?(?:Z|[+-]\\d\\d:?\\d\\d)) (?<host>\\S{1,255}) " + TAG);
  private static final DateTimeFormatter TRADITIONAL_TIME = new java.time.format.DateTimeFormatterBuilder()
      .appendPattern("yyyy MMM d HH:mm:ss")
      .optionalStart().appendFraction(java.time.temporal.ChronoField.NANO_OF_SECOND, 1, 9, true).optionalEnd()
      .toFormatter(Locale.ENGLISH); // month abbreviations as syslog writes them, whatever the JVM's locale

  private static final Pattern QUEUE_ID = Pattern.compile("(?<id>[0-9A-Za-z]{5,24}): ");
  private static final Pattern HOST_ADDR = Pattern.compile("(?<h>[^\\s\\[\\]]{1,255})\\[(?<a>[0-9A-Fa-f:.]{1,45})\\]");
  private static final Pattern RELAY = Pattern.compile(
      "relay=(?<h>[^\\s\\[\\],]{1,255})(?:\\[(?<a>[0-9A-Fa-f:.]{1,45})\\](?::(?<p>\\d{1,5}))?)?");
  private static final Pattern TO = Pattern.compile("(?:^|, )to=<(?<to>[^<>]{0,512})>");
  private static final Pattern DSN = Pattern.compile(", dsn=(?<dsn>\\d\\.\\d{1,3}\\.\\d{1,3})");
  private static final Pattern STATUS = Pattern.compile("(?s)status=(?<st>[a-z]{1,20})(?: \\((?<text>.*))?");
  private static final Pattern SAID = Pattern.compile("(?s)host " + HOST_ADDR.pattern() + " said: (?<reply>.*)");
  private static final Pattern REFUSED = Pattern.compile("(?s)host " + HOST_ADDR.pattern() + " refused to talk to me: (?<reply>.*)");
  private static final Pattern LOST = Pattern.compile("(?s)lost connection with " + HOST_ADDR.pattern() + " while (?<reply>.*)");
  private static final Pattern IN_REPLY_TO = Pattern.compile(" \\(in reply to (?<cmd>[A-Za-z][A-Za-z ]{0,40}) command\\)$");
  private static final Pattern CODES = Pattern.compile("(?<code>[245]\\d\\d)(?:[ -](?<esc>[245]\\.\\d{1,3}\\.\\d{1,3}))?\\b");
  private static final Pattern BRACKETED = Pattern.compile("\\[(?:IPv6:)?(?<a>[0-9A-Fa-f:.]{2,45})\\]");

  private final Clock clock;
  private final ZoneId zone;

  public DeliveryLogParser(Clock clock, ZoneId zone) {
    this.clock = clock;
    this.zone = zone;
  }

  /** Host clock and local zone. */
  public static DeliveryLogParser standard() {
    return new DeliveryLogParser(Clock.systemUTC(), ZoneId.systemDefault());
  }

  /** A syslog or {@code maillog_file} line, or a journal JSON object (detected by its first character). */
  public Optional<DeliveryLogLine> parse(String line) {
    if (line == null || line.isEmpty()) {
      return Optional.empty();
    }
    if (line.charAt(0) == '{') {
      return parseJournal(line);
    }
    try {
      return parseSyslog(cap(line));
    } catch (RuntimeException | StackOverflowError e) {
      // Regular expressions over hostile text: treat any surprise as "not a delivery line".
      return Optional.empty();
    }
  }

  private Optional<DeliveryLogLine> parseSyslog(String line) {
    Matcher m = TRADITIONAL.matcher(line);
    Optional<Instant> time;
    if (m.lookingAt()) {
      time = traditionalTime(m.group("ts"));
    } else {
      m = RFC3339.matcher(line);
      if (!m.lookingAt()) {
        return Optional.empty();
      }
      time = rfc3339Time(m.group("ts"));
    }
    return parseMessage(time, m.group("host"), m.group("tag"), parsePid(m.group("pid")), line.substring(m.end()));
  }

  /**
   * One {@code journalctl --output=json} line. MESSAGE may be a string or, when it held bytes the
   * journal would not store as text, an array of byte values.
   */
  public Optional<DeliveryLogLine> parseJournal(String json) {
    if (json.length() > 4 * MAX_LINE) {
      return Optional.empty(); // a journal entry of that size is not an smtp client line
    }
    try {
      ConfigObject o = ConfigFactory.parseString(json, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON)).root();
      Optional<String> tag = text(o.get("SYSLOG_IDENTIFIER"));
      Optional<String> message = text(o.get("MESSAGE"));
      if (tag.isEmpty() || message.isEmpty()) {
        return Optional.empty();
      }
      long pid = parsePid(text(o.get("SYSLOG_PID")).or(() -> text(o.get("_PID"))).orElse("0"));
      Optional<Instant> time = text(o.get("__REALTIME_TIMESTAMP")).flatMap(DeliveryLogParser::micros);
      String host = text(o.get("_HOSTNAME")).orElse("");
      return parseMessage(time, host, tag.get(), pid, cap(message.get()));
    } catch (RuntimeException | StackOverflowError e) { // typesafe-config's ConfigException included
      return Optional.empty();
    }
  }

  /**
   * The part after the tag: {@code message} as Postfix wrote it, from the process named by {@code tag}
   * ({@code postfix/smtp}, {@code postfix/smtp-ip2/smtp}, {@code postfix-out/lmtp}).
   */
  public Optional<DeliveryLogLine> parseMessage(Optional<Instant> time, String host, String tag, long pid, String message) {
    String[] parts = tag.split("/", -1);
    if (parts.length < 2) {
      return Optional.empty();
    }
    String program = parts[parts.length - 1];
    if (!program.equals("smtp") && !program.equals("lmtp")) {
      return Optional.empty();
    }
    String syslogName = parts[0];
    String service = parts.length == 2 ? program : String.join("/", java.util.Arrays.copyOfRange(parts, 1, parts.length - 1));
    if (syslogName.isEmpty() || service.isEmpty()) {
      return Optional.empty();
    }
    String rest = message;
    Optional<String> queueId = Optional.empty();
    Matcher q = QUEUE_ID.matcher(rest);
    if (q.lookingAt()) {
      queueId = Optional.of(q.group("id"));
      rest = rest.substring(q.end());
    }
    Head head = new Head(time, LogText.safe(host, 255), LogText.safe(syslogName, 100), LogText.safe(service, 100),
        program, pid, queueId);
    if (rest.startsWith("to=<")) {
      return delivery(head, rest);
    }
    return clientEvent(head, rest, Status.NONE, Optional.empty(), Optional.empty(), Optional.empty());
  }

  private record Head(Optional<Instant> time, String host, String syslogName, String service, String program, long pid,
      Optional<String> queueId) {}

  private Optional<DeliveryLogLine> delivery(Head head, String rest) {
    int statusAt = rest.indexOf(", status=");
    if (statusAt < 0) {
      return Optional.empty(); // cut before its status: nothing to learn from it
    }
    String fields = rest.substring(0, statusAt);
    Matcher st = STATUS.matcher(rest);
    if (!st.region(statusAt + 2, rest.length()).matches()) {
      return Optional.empty();
    }
    Matcher to = TO.matcher(fields);
    Optional<String> recipient = to.find() ? Optional.of(LogText.safe(to.group("to"), 512)) : Optional.empty();
    Matcher r = RELAY.matcher(fields);
    Optional<Receiver> relay = Optional.empty();
    if (r.find() && !r.group("h").equals("none")) {
      relay = Optional.of(new Receiver(LogText.safe(r.group("h"), 255), address(r.group("a")), port(r.group("p"))));
    }
    Matcher d = DSN.matcher(fields);
    Optional<String> dsn = d.find() ? Optional.of(d.group("dsn")) : Optional.empty();
    Status status = status(st.group("st"));
    String text = st.group("text");
    if (text != null && text.endsWith(")")) {
      text = text.substring(0, text.length() - 1); // a line cut short (MAX_LINE) lacks the closing parenthesis
    }
    if (text == null) {
      return Optional.of(line(head, recipient, relay, dsn, status, Event.DELIVERY, Optional.empty()));
    }
    Optional<DeliveryLogLine> inner = clientEvent(head, text, status, recipient, relay, dsn);
    if (inner.isPresent()) {
      DeliveryLogLine l = inner.get();
      // The status line is the one that counts; the text only says what the receiver answered.
      return Optional.of(line(head, recipient, relay.or(l::receiver), dsn, status, Event.DELIVERY, l.reply()));
    }
    return Optional.of(line(head, recipient, relay, dsn, status, Event.DELIVERY, Optional.empty()));
  }

  /** {@code host H[A] said: ...}, {@code ... refused to talk to me: ...}, {@code lost connection with ...}. */
  private Optional<DeliveryLogLine> clientEvent(Head head, String text, Status status, Optional<String> recipient,
      Optional<Receiver> relay, Optional<String> dsn) {
    Event event;
    Matcher m;
    if ((m = SAID.matcher(text)).matches()) {
      event = Event.SAID;
    } else if ((m = REFUSED.matcher(text)).matches()) {
      event = Event.REFUSED;
    } else if ((m = LOST.matcher(text)).matches()) {
      event = Event.LOST_CONNECTION;
    } else {
      return Optional.empty();
    }
    Optional<InetAddress> address = address(m.group("a"));
    Receiver named = new Receiver(LogText.safe(m.group("h"), 255), address,
        relay.filter(r -> r.address().equals(address)).map(Receiver::port).orElse(0));
    Optional<Reply> reply = reply(m.group("reply"));
    if (event == Event.LOST_CONNECTION && reply.map(Reply::code).orElse(0) == 0) {
      reply = Optional.empty(); // "while receiving the initial server greeting": no answer to classify
    }
    return Optional.of(line(head, recipient, Optional.of(named), dsn, status, event, reply));
  }

  private static DeliveryLogLine line(Head h, Optional<String> recipient, Optional<Receiver> receiver,
      Optional<String> dsn, Status status, Event event, Optional<Reply> reply) {
    return new DeliveryLogLine(h.time(), h.host(), h.syslogName(), h.service(), h.program(), h.pid(), h.queueId(),
        recipient, receiver, dsn, status, event, reply);
  }

  /** The reply text with its code, enhanced code, command and the client address it names. */
  static Optional<Reply> reply(String raw) {
    String text = raw;
    Optional<String> command = Optional.empty();
    Matcher in = IN_REPLY_TO.matcher(text);
    if (in.find()) {
      command = Optional.of(in.group("cmd"));
      text = text.substring(0, in.start());
    }
    text = text.strip();
    if (text.isEmpty()) {
      return Optional.empty();
    }
    int code = 0;
    Optional<String> enhanced = Optional.empty();
    Matcher c = CODES.matcher(text);
    if (c.lookingAt()) {
      code = Integer.parseInt(c.group("code"));
      enhanced = Optional.ofNullable(c.group("esc"));
    } else {
      // "while sending RCPT TO" and similar carry no code; a lost-connection text may quote one later.
      Matcher later = CODES.matcher(text);
      if (later.find() && later.group("esc") != null) {
        code = Integer.parseInt(later.group("code"));
        enhanced = Optional.of(later.group("esc"));
      }
    }
    Optional<InetAddress> sending = Optional.empty();
    Matcher b = BRACKETED.matcher(text.length() > LogText.MAX_TEXT ? text.substring(0, LogText.MAX_TEXT) : text);
    while (b.find() && sending.isEmpty()) {
      sending = IpLiterals.parse(b.group("a"));
    }
    return Optional.of(new Reply(code, enhanced, LogText.safe(text), command, sending));
  }

  private static Status status(String word) {
    return switch (word) {
      case "sent" -> Status.SENT;
      case "deferred" -> Status.DEFERRED;
      case "bounced" -> Status.BOUNCED;
      case "expired" -> Status.EXPIRED;
      default -> Status.OTHER;
    };
  }

  private static Optional<InetAddress> address(String literal) {
    return literal == null ? Optional.empty() : IpLiterals.parse(literal);
  }

  private static int port(String digits) {
    if (digits == null) {
      return 0;
    }
    int p = Integer.parseInt(digits);
    return p <= 65535 ? p : 0;
  }

  private static long parsePid(String digits) {
    try {
      return Long.parseLong(digits.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static String cap(String line) {
    return line.length() > MAX_LINE ? line.substring(0, MAX_LINE) : line;
  }

  private Optional<Instant> traditionalTime(String ts) {
    String normalized = ts.replaceAll(" +", " ");
    Instant now = clock.instant();
    int year = LocalDateTime.ofInstant(now, zone).getYear();
    for (int y = year; y >= year - 1; y--) {
      try {
        Instant t = LocalDateTime.parse(y + " " + normalized, TRADITIONAL_TIME).atZone(zone).toInstant();
        if (!t.isAfter(now.plus(java.time.Duration.ofDays(2)))) {
          return Optional.of(t);
        }
      } catch (DateTimeParseException e) {
        // Feb 29 in a year without it: try the year before
      }
    }
    return Optional.empty();
  }

  private static Optional<Instant> rfc3339Time(String ts) {
    try {
      String iso = ts.matches(".*[+-]\\d{4}$") ? ts.substring(0, ts.length() - 2) + ":" + ts.substring(ts.length() - 2) : ts;
      return Optional.of(OffsetDateTime.parse(iso).toInstant());
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  private static Optional<Instant> micros(String digits) {
    try {
      long us = Long.parseLong(digits);
      return Optional.of(Instant.ofEpochSecond(us / 1_000_000, (us % 1_000_000) * 1000));
    } catch (NumberFormatException | java.time.DateTimeException e) {
      return Optional.empty();
    }
  }

  /** A journal field: a string, a number, or an array of byte values (non-UTF-8 or binary fields). */
  private static Optional<String> text(ConfigValue v) {
    if (v == null) {
      return Optional.empty();
    }
    if (v.valueType() == ConfigValueType.STRING || v.valueType() == ConfigValueType.NUMBER) {
      return Optional.of(v.unwrapped().toString());
    }
    if (v.valueType() == ConfigValueType.LIST) {
      ConfigList list = (ConfigList) v;
      byte[] bytes = new byte[Math.min(list.size(), MAX_LINE)];
      for (int i = 0; i < bytes.length; i++) {
        if (!(list.get(i).unwrapped() instanceof Number n)) {
          return Optional.empty();
        }
        bytes[i] = (byte) n.intValue();
      }
      return Optional.of(new String(bytes, StandardCharsets.UTF_8));
    }
    return Optional.empty();
  }
}
