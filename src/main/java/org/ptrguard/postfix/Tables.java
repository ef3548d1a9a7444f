package org.ptrguard.postfix;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Table lookups through Postfix's {@code postmap}, so every table type this Postfix supports works
 * and ptrguard never reads a Berkeley DB or LMDB file itself. Remote tables (LDAP, SQL, tcp, ...)
 * are cached for {@link #REMOTE_TTL}; callers run them off the mail path.
 */
public final class Tables {
  static final Duration REMOTE_TTL = Duration.ofMinutes(5);

  /** A table's answer for a set of keys, or why it could not answer. */
  public record Answers(Map<String, String> values, Optional<String> problem) {}

  /** The entries of a table, or why it cannot be listed. */
  public record Listing(Map<String, String> entries, Optional<String> problem, boolean listable) {}

  private record Cached(Answers answers, long expiresNanos) {}

  private final PostfixTools tools;
  private final Map<String, Cached> remoteCache = new ConcurrentHashMap<>();

  public Tables(PostfixTools tools) {
    this.tools = tools;
  }

  /** {@code postmap -q - TABLE} with every key at once; keys are folded as the table type folds them. */
  public Answers query(LookupTable table, List<String> rawKeys) {
    List<String> keys = new ArrayList<>(new LinkedHashSet<>(rawKeys.stream().map(table::key).toList()));
    if (keys.isEmpty()) {
      return new Answers(Map.of(), Optional.empty());
    }
    String cacheKey = table.spec() + "\n" + String.join("\n", keys);
    if (table.remote()) {
      Cached c = remoteCache.get(cacheKey);
      if (c != null && c.expiresNanos() - System.nanoTime() > 0) {
        return c.answers();
      }
    }
    PostfixTools.Result r = tools.postmap(String.join("\n", keys) + "\n", "-q", "-", table.spec());
    Answers answers;
    if (hasComplaint(r)) {
      answers = new Answers(Map.of(), Optional.of(r.problem()));
    } else {
      Map<String, String> values = new LinkedHashMap<>();
      for (String line : r.stdout().lines().toList()) {
        int tab = line.indexOf('\t');
        if (tab > 0) {
          values.put(line.substring(0, tab), line.substring(tab + 1).strip());
        }
      }
      answers = new Answers(values, Optional.empty());
    }
    if (table.remote() && answers.problem().isEmpty()) {
      remoteCache.put(cacheKey, new Cached(answers, System.nanoTime() + REMOTE_TTL.toNanos()));
    }
    return answers;
  }

  /** {@code postmap -s TABLE}: every entry of a table that can be listed (never tried for remote ones). */
  public Listing list(LookupTable table) {
    if (table.remote()) {
      return new Listing(Map.of(), Optional.empty(), false);
    }
    PostfixTools.Result r = tools.postmap(null, "-s", table.spec());
    if (!r.ok() || hasComplaint(r)) {
      boolean unsupported = r.stderr().contains("not supported");
      return new Listing(Map.of(), unsupported ? Optional.empty() : Optional.of(r.problem()), false);
    }
    Map<String, String> entries = new LinkedHashMap<>();
    for (String line : r.stdout().lines().toList()) {
      int tab = line.indexOf('\t');
      if (tab > 0) {
        entries.put(line.substring(0, tab), line.substring(tab + 1).strip());
      }
    }
    return new Listing(entries, Optional.empty(), true);
  }

  /**
   * A missing key is exit 1 with nothing on stderr; a broken table says "fatal" or "error". Warnings
   * (e.g. a main.cf parameter set twice) do not make a table unreadable.
   */
  private static boolean hasComplaint(PostfixTools.Result r) {
    return r.exit() < 0 || r.stderr().contains("fatal") || r.stderr().contains("error:");
  }
}
