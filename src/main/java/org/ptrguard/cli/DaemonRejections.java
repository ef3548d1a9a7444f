package org.ptrguard.cli;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.ptrguard.cli.ControlCommands.DaemonAnswer;

/**
 * The running daemon's receiver rejections of the last 24 hours (the {@code receiver-rejections}
 * part of its status, {@link RejectionsStatusSection}), as {@code check} and {@code routes} show them
 * per identity. The daemon already follows Postfix's log, so the commands ask it instead of reading
 * the log a second time; without a daemon they say why in one line and carry on.
 */
final class DaemonRejections {
  static final String SECTION = "receiver-rejections";

  /**
   * One daemon identity's rejections, or several merged (a check target that several route services
   * share): the count summed, the latest one's receiver and text.
   *
   * @param identities the daemon's identity names (in route mode its services, or the overriding identity)
   */
  record Entry(List<String> identities, long count, String lastAt, String lastReceiver, String lastClass,
      String lastText) {

    String text() {
      return count + (count == 1 ? " rejection" : " rejections") + " in the last 24 h, last at " + seconds(lastAt) + " by "
          + lastReceiver + " (" + lastClass + "): " + lastText;
    }

    /** 2026-12-03T10:07:37Z rather than the daemon's nanoseconds. */
    private static String seconds(String instant) {
      try {
        return java.time.Instant.parse(instant).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
      } catch (java.time.format.DateTimeParseException e) {
        return instant;
      }
    }

    Map<String, Object> json() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("identities", identities);
      m.put("count", count);
      m.put("last_at", lastAt);
      m.put("last_receiver", lastReceiver);
      m.put("last_class", lastClass);
      m.put("last_text", lastText);
      return m;
    }
  }

  /** An identity as the daemon lists it in its status, to match a check by address and EHLO name. */
  private record DaemonIdentity(String name, String ip, String ehlo) {}

  private final Optional<String> unavailable;
  /** Most recent first, as the daemon sends them. */
  private final List<Entry> entries;
  private final List<DaemonIdentity> identities;

  private DaemonRejections(Optional<String> unavailable, List<Entry> entries, List<DaemonIdentity> identities) {
    this.unavailable = unavailable;
    this.entries = entries;
    this.identities = identities;
  }

  @SuppressWarnings("unchecked")
  static DaemonRejections of(DaemonAnswer answer) {
    if (answer.status().isEmpty()) {
      return new DaemonRejections(answer.unavailable().or(() -> Optional.of("no answer")), List.of(), List.of());
    }
    Map<String, Object> status = answer.status().get();
    List<DaemonIdentity> ids = new ArrayList<>();
    for (Object o : list(status.get("identities"))) {
      if (o instanceof Map<?, ?> m) {
        ids.add(new DaemonIdentity(String.valueOf(m.get("name")), String.valueOf(m.get("ip")),
            String.valueOf(m.get("ehlo"))));
      }
    }
    for (Object o : list(status.get("sections"))) {
      if (o instanceof Map<?, ?> section && SECTION.equals(section.get("name"))) {
        if (!(section.get("data") instanceof Map<?, ?> data) || !(data.get("identities") instanceof List<?> list)) {
          return new DaemonRejections(Optional.of("the daemon's receiver-rejections section failed: "
              + section.get("lines")), List.of(), ids);
        }
        if (!Boolean.TRUE.equals(data.get("following"))) {
          return new DaemonRejections(Optional.of("the daemon does not follow Postfix's log now: "
              + data.get("not_following_reason")), List.of(), ids);
        }
        List<Entry> entries = new ArrayList<>();
        for (Object d : list) {
          if (d instanceof Map<?, ?> m) {
            entries.add(new Entry(List.of(String.valueOf(m.get("identity"))),
                m.get("count") instanceof Number n ? n.longValue() : 0, String.valueOf(m.get("last_at")),
                String.valueOf(m.get("last_receiver")), String.valueOf(m.get("last_class")),
                String.valueOf(m.get("last_text"))));
          }
        }
        return new DaemonRejections(Optional.empty(), List.copyOf(entries), ids);
      }
    }
    return new DaemonRejections(Optional.of("the running daemon does not report receiver rejections (an older "
        + "version)"), List.of(), ids);
  }

  private static List<?> list(Object o) {
    return o instanceof List<?> l ? l : List.of();
  }

  /** Why the daemon's rejections are not known, when they are not. */
  Optional<String> unavailable() {
    return unavailable;
  }

  /** The one line a command prints when the daemon could not be asked. */
  String unavailableLine() {
    return "receiver rejections (24 h): not available: " + unavailable.orElse("");
  }

  /**
   * The daemon identities that stand for an identity of {@code check} or a route of {@code routes}:
   * those among {@code names} and, when given, those the daemon lists with that address and EHLO name
   * (an ad-hoc {@code check --ip} names its identity "command-line").
   */
  Set<String> namesFor(Collection<String> names, Optional<String> ip, Optional<String> ehlo) {
    Set<String> out = new java.util.LinkedHashSet<>(names);
    if (ip.isPresent() && ehlo.isPresent()) {
      for (DaemonIdentity d : identities) {
        if (d.ip().equals(ip.get()) && d.ehlo().toLowerCase(Locale.ROOT).equals(ehlo.get().toLowerCase(Locale.ROOT))) {
          out.add(d.name());
        }
      }
    }
    return out;
  }

  /** The rejections of the daemon identities {@code names}, merged; empty when there were none. */
  Optional<Entry> of(Collection<String> names) {
    List<Entry> matching = entries.stream().filter(e -> names.contains(e.identities().get(0))).toList();
    if (matching.isEmpty()) {
      return Optional.empty();
    }
    Entry latest = matching.get(0);
    return Optional.of(new Entry(matching.stream().map(e -> e.identities().get(0)).toList(),
        matching.stream().mapToLong(Entry::count).sum(), latest.lastAt(), latest.lastReceiver(), latest.lastClass(),
        latest.lastText()));
  }

  /** The field text for one identity or route (only when available). */
  String text(Collection<String> names) {
    return of(names).map(Entry::text).orElse("none in the last 24 h (running daemon)");
  }

  /** The JSON value for one identity or route: null when unavailable, else count 0 or the merged entry. */
  Object json(Collection<String> names) {
    if (unavailable.isPresent()) {
      return null;
    }
    return of(names).map(Entry::json).orElseGet(() -> new Entry(List.copyOf(names), 0, null, null, null, null).json());
  }

  /** Rejections of daemon identities none of {@code shown} stands for: shown too, so none goes unseen. */
  List<Entry> others(Collection<String> shown) {
    return entries.stream().filter(e -> !shown.contains(e.identities().get(0))).toList();
  }

  /** The top-level JSON summary: whether the daemon answered, why not, and the rejections of identities not shown. */
  Map<String, Object> summaryJson(Collection<String> shown) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("available", unavailable.isEmpty());
    m.put("unavailable_reason", unavailable.orElse(null));
    m.put("window_hours", 24);
    m.put("other_identities", others(shown).stream().map(Entry::json).toList());
    return m;
  }
}
