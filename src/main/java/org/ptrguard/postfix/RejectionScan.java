package org.ptrguard.postfix;

import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.ptrguard.postfix.DeliveryLogLine.Event;
import org.ptrguard.postfix.ReceiverReplies.Match;
import org.ptrguard.postfix.ReceiverReplies.ReplyClass;
import org.ptrguard.postfix.Route.Family;

/**
 * Sums up receivers' reverse-DNS and HELO rejections in a stretch of Postfix's log (for
 * {@code ptrguard scan-log}): per sending identity and receiver domain, the count of each class,
 * first and last seen, one example and the fix. The identity is the sending address when the
 * receiver named it in its reply, otherwise the Postfix service that delivered. Memory stays bounded
 * whatever the log's size: lines are summed as they come.
 *
 * <p>When Postfix tries the next MX host it logs the reply on a line of its own ({@code host ...
 * said: ...}) and, for the last host, again inside the status line. Such a line is held back
 * briefly and dropped when a status line of the same queue ID repeats its receiver and text.
 */
public final class RejectionScan {
  private static final int PENDING_MAX = 10_000;

  /** One identity and receiver domain. */
  public record Group(String identity, String receiverDomain, Map<ReplyClass, Integer> counts, int bounced,
      int deferred, Optional<Instant> first, Optional<Instant> last, String example, String rule, String source,
      String receiver, Optional<Family> family, String fix) {
    public int total() {
      return counts.values().stream().mapToInt(Integer::intValue).sum();
    }
  }

  private final DeliveryLogParser parser;
  private final ReceiverReplies table;
  private final Optional<Instant> since;
  private final Map<String, Acc> groups = new LinkedHashMap<>();
  private final LinkedHashMap<String, Hit> pending = new LinkedHashMap<>();
  private long lines;
  private long clientLines;

  private record Hit(DeliveryLogLine line, Match match) {}

  private static final class Acc {
    final String identity;
    final String domain;
    final Map<ReplyClass, Integer> counts = new EnumMap<>(ReplyClass.class);
    int bounced;
    int deferred;
    Instant first;
    Instant last;
    Hit example;

    Acc(String identity, String domain) {
      this.identity = identity;
      this.domain = domain;
    }
  }

  /** @param since lines logged before this instant, or without a time, are left out when present */
  public RejectionScan(DeliveryLogParser parser, ReceiverReplies table, Optional<Instant> since) {
    this.parser = parser;
    this.table = table;
    this.since = since;
  }

  /** One raw log line (syslog, maillog_file or journal JSON). */
  public void accept(String raw) {
    lines++;
    Optional<DeliveryLogLine> parsed = parser.parse(raw);
    if (parsed.isEmpty()) {
      return;
    }
    DeliveryLogLine line = parsed.get();
    if (since.isPresent() && line.time().map(t -> t.isBefore(since.get())).orElse(true)) {
      return;
    }
    clientLines++;
    Optional<Match> match = table.classify(line);
    if (match.isEmpty()) {
      return;
    }
    Hit hit = new Hit(line, match.get());
    String key = dedupeKey(line);
    if (line.event() == Event.DELIVERY) {
      pending.remove(key);
      add(hit);
    } else {
      pending.put(key, hit);
      if (pending.size() > PENDING_MAX) {
        Iterator<Hit> oldest = pending.values().iterator();
        add(oldest.next());
        oldest.remove();
      }
    }
  }

  public long linesRead() {
    return lines;
  }

  /** smtp/lmtp client lines seen (in the time window). */
  public long clientLines() {
    return clientLines;
  }

  /** The groups, most rejections first. */
  public List<Group> groups() {
    pending.values().forEach(this::add);
    pending.clear();
    List<Group> out = new ArrayList<>();
    for (Acc a : groups.values()) {
      DeliveryLogLine l = a.example.line();
      Match m = a.example.match();
      String fixFor = a.identity.startsWith("service ") ? "the sending address" : a.identity;
      out.add(new Group(a.identity, a.domain, Map.copyOf(a.counts), a.bounced, a.deferred, Optional.ofNullable(a.first),
          Optional.ofNullable(a.last), l.reply().map(DeliveryLogLine.Reply::text).orElse(""), m.entry().name(),
          m.entry().source(), l.receiver().map(DeliveryLogLine.Receiver::display).orElse(""), l.family(),
          m.replyClass().fix(fixFor)));
    }
    out.sort(Comparator.comparingInt(Group::total).reversed().thenComparing(Group::identity).thenComparing(Group::receiverDomain));
    return out;
  }

  private void add(Hit hit) {
    DeliveryLogLine l = hit.line();
    String identity = identity(l);
    String domain = receiverDomain(l);
    Acc a = groups.computeIfAbsent(identity + "\u0000" + domain, k -> new Acc(identity, domain));
    a.counts.merge(hit.match().replyClass(), 1, Integer::sum);
    switch (l.status()) {
      case BOUNCED, EXPIRED -> a.bounced++;
      case DEFERRED -> a.deferred++;
      default -> {
        if (l.reply().map(r -> r.code() >= 400 && r.code() < 500).orElse(false)) {
          a.deferred++;
        }
      }
    }
    if (l.time().isPresent()) {
      Instant t = l.time().get();
      a.first = a.first == null || t.isBefore(a.first) ? t : a.first;
      if (a.last == null || !t.isBefore(a.last)) {
        a.last = t;
        a.example = hit;
      }
    }
    if (a.example == null) {
      a.example = hit;
    }
  }

  /** The sending address the receiver named, else the service ({@code service smtp-ip2}, with a non-default syslog name). */
  static String identity(DeliveryLogLine l) {
    Optional<InetAddress> sending = l.reply().flatMap(DeliveryLogLine.Reply::sendingAddress);
    if (sending.isPresent()) {
      return org.ptrguard.net.Addresses.text(sending.get());
    }
    String prefix = l.syslogName().equals("postfix") ? "" : l.syslogName() + "/";
    return "service " + prefix + l.service();
  }

  /** The recipient's domain, else the receiving host's name. */
  static String receiverDomain(DeliveryLogLine l) {
    Optional<String> domain = l.recipient().map(r -> r.substring(r.lastIndexOf('@') + 1)).filter(d -> !d.isEmpty());
    return domain.or(() -> l.receiver().map(DeliveryLogLine.Receiver::host)).orElse("unknown").toLowerCase(Locale.ROOT);
  }

  private static String dedupeKey(DeliveryLogLine l) {
    return l.queueId().orElse("") + "|" + l.receiver().flatMap(DeliveryLogLine.Receiver::address).map(InetAddress::getHostAddress)
        .orElse("") + "|" + l.reply().map(DeliveryLogLine.Reply::text).orElse("");
  }
}
