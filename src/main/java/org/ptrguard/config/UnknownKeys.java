package org.ptrguard.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Keys in the admin's file that ptrguard does not know. They are warnings, not errors (an older
 * ptrguard should start with a newer file), but a typo such as {@code dns.timout} must not go
 * unnoticed, hence the "did you mean".
 */
final class UnknownKeys {
  private UnknownKeys() {}

  static List<String> find(Config admin, Config reference) {
    Set<String> known = new TreeSet<>();
    for (Map.Entry<String, ConfigValue> e : reference.entrySet()) {
      known.add(e.getKey());
    }
    List<String> warnings = new ArrayList<>();
    for (Map.Entry<String, ConfigValue> e : admin.entrySet()) {
      String key = e.getKey();
      if (!known.contains(key)) {
        warnings.add(Origins.where(e.getValue().origin()) + key + ": unknown key" + suggestion(key, known) + ", ignored");
      }
    }
    return warnings;
  }

  static String suggestion(String key, Collection<String> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : known) {
      int d = distance(key, candidate);
      if (d < bestDistance) {
        best = candidate;
        bestDistance = d;
      }
    }
    boolean close = best != null && bestDistance <= Math.max(2, key.length() / 4);
    return close ? " (did you mean '" + best + "'?)" : "";
  }

  /** Levenshtein distance; keys are short, so the quadratic table is fine. */
  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
