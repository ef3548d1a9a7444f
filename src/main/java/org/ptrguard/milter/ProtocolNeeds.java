package org.ptrguard.milter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What handlers need from negotiation: the events to receive (others are negotiated away with NO*
 * flags where the MTA allows it), the events that need no reply (NR_* flags), the end-of-message
 * actions, and the macros to request per stage.
 */
public record ProtocolNeeds(
    Set<MilterEvent> events,
    Set<MilterEvent> noReply,
    Set<MilterAction> actions,
    Map<MacroStage, List<String>> macros) {

  /** Macros the guard relies on; every builder starts with these. */
  public static final Map<MacroStage, List<String>> DEFAULT_MACROS = Map.of(
      MacroStage.CONNECT, List.of("j", "{daemon_name}", "{daemon_addr}", "{client_addr}", "{client_name}",
          "{client_ptr}", "{client_resolve}"),
      MacroStage.MAIL, List.of("{auth_authen}", "i"));

  public ProtocolNeeds {
    events = Collections.unmodifiableSet(copy(events, MilterEvent.class));
    noReply = Collections.unmodifiableSet(copy(noReply, MilterEvent.class));
    actions = Collections.unmodifiableSet(copy(actions, MilterAction.class));
    Map<MacroStage, List<String>> m = new EnumMap<>(MacroStage.class);
    macros.forEach((stage, names) -> {
      for (String n : names) {
        if (n.isEmpty() || n.chars().anyMatch(c -> c <= 0x20 || c == ',' || c >= 0x7f)) {
          throw new IllegalArgumentException("macro name '" + n + "' must be non-empty printable ASCII without space or comma");
        }
      }
      m.put(stage, List.copyOf(names));
    });
    macros = Collections.unmodifiableMap(m);
  }

  private static <E extends Enum<E>> Set<E> copy(Set<E> set, Class<E> type) {
    return set.isEmpty() ? EnumSet.noneOf(type) : EnumSet.copyOf(set);
  }

  /** The same needs with every event answered (no NR flags). */
  public ProtocolNeeds withReplies() {
    return noReply.isEmpty() ? this : new ProtocolNeeds(events, Set.of(), actions, macros);
  }

  /** All events, no NR flags, no actions, the default macros. */
  public static ProtocolNeeds defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builder starting from all events, no no-reply events, no actions and {@link #DEFAULT_MACROS}. */
  public static final class Builder {
    private final Set<MilterEvent> events = EnumSet.allOf(MilterEvent.class);
    private final Set<MilterEvent> noReply = EnumSet.noneOf(MilterEvent.class);
    private final Set<MilterAction> actions = EnumSet.noneOf(MilterAction.class);
    private final Map<MacroStage, List<String>> macros = new EnumMap<>(MacroStage.class);

    private Builder() {
      DEFAULT_MACROS.forEach((stage, names) -> macros.put(stage, new ArrayList<>(names)));
    }

    /** Replaces the set of wanted events. */
    public Builder events(MilterEvent... wanted) {
      events.clear();
      events.addAll(List.of(wanted));
      return this;
    }

    public Builder events(Set<MilterEvent> wanted) {
      events.clear();
      events.addAll(wanted);
      return this;
    }

    public Builder noReply(MilterEvent... events) {
      noReply.addAll(List.of(events));
      return this;
    }

    public Builder actions(MilterAction... wanted) {
      actions.addAll(List.of(wanted));
      return this;
    }

    /** Adds macro names to a stage (duplicates are dropped). */
    public Builder macros(MacroStage stage, String... names) {
      List<String> list = macros.computeIfAbsent(stage, s -> new ArrayList<>());
      for (String n : names) {
        if (!list.contains(n)) {
          list.add(n);
        }
      }
      return this;
    }

    /** Removes every macro request, including the defaults. */
    public Builder noMacros() {
      macros.clear();
      return this;
    }

    public ProtocolNeeds build() {
      Map<MacroStage, List<String>> m = new LinkedHashMap<>();
      macros.forEach((k, v) -> {
        if (!v.isEmpty()) {
          m.put(k, v);
        }
      });
      return new ProtocolNeeds(events, noReply, actions, m);
    }
  }
}
