package org.ptrguard.milter;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * The macros of one SMTP session, per stage as the MTA sent them, with the bytes they took on the
 * wire so the session can hold them to a limit.
 */
final class MacroStore {
  /** libmilter's lookup order: newest stage first. */
  private static final MacroStage[] LOOKUP_ORDER = {
      MacroStage.END_OF_MESSAGE, MacroStage.END_OF_HEADERS, MacroStage.DATA, MacroStage.RCPT,
      MacroStage.MAIL, MacroStage.HELO, MacroStage.CONNECT};

  private final Map<MacroStage, Map<String, String>> macros = new EnumMap<>(MacroStage.class);
  private final Map<MacroStage, Integer> bytes = new EnumMap<>(MacroStage.class);

  /**
   * A stage's macros replace what that stage had.
   *
   * @return the bytes all stages' macros take now
   */
  int put(MacroStage stage, Map<String, String> values, int wireBytes) {
    macros.put(stage, values);
    bytes.put(stage, wireBytes);
    return bytes.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** The newest value of a macro across stages; {@code "j"} and {@code "{j}"} name the same macro. */
  Optional<String> get(String name) {
    String key = MilterCommandDecoder.canonicalMacroName(name);
    for (MacroStage stage : LOOKUP_ORDER) {
      Map<String, String> m = macros.get(stage);
      if (m != null && m.containsKey(key)) {
        return Optional.of(m.get(key));
      }
    }
    return Optional.empty();
  }

  /** A new CONNECT/HELO/MAIL makes the macros of every later stage stale (libmilter does the same). */
  void clearAfter(MacroStage stage) {
    macros.keySet().removeIf(s -> s.id() > stage.id());
    bytes.keySet().removeIf(s -> s.id() > stage.id());
  }

  void clear() {
    macros.clear();
    bytes.clear();
  }
}
