package org.ptrguard.postfix;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One {@code type:name} lookup table as main.cf names it. Postfix itself reads it (through
 * {@code postmap}); this only knows what the type implies: whether partial keys are tried (not for
 * regular expressions, transport(5)), whether a lookup needs the network, and which file changes
 * when the admin rebuilds it.
 */
public record LookupTable(String spec, String type, String name) {
  /** Types matched against the whole address only (transport(5) "REGULAR EXPRESSION TABLES", "TCP-BASED TABLES"). */
  private static final Set<String> PATTERN_TYPES = Set.of("regexp", "pcre", "tcp", "cidr", "socketmap");
  private static final Set<String> REMOTE_TYPES = Set.of("ldap", "mysql", "pgsql", "memcache", "tcp", "socketmap", "nis",
      "nisplus", "netinfo");

  public static LookupTable parse(String spec) {
    String s = spec.strip();
    int colon = s.indexOf(':');
    if (colon <= 0) {
      return new LookupTable(s, "", s);
    }
    return new LookupTable(s, s.substring(0, colon).toLowerCase(Locale.ROOT), s.substring(colon + 1));
  }

  /** The tables of a main.cf list value ("hash:/a, regexp:/b inline:{ {k=v}, {k2=v2} }"). */
  public static List<LookupTable> list(String value) {
    List<LookupTable> out = new ArrayList<>();
    for (String item : splitList(value)) {
      out.add(parse(item));
    }
    return out;
  }

  /** Splits on commas and whitespace outside braces, as Postfix does for lists of tables and domains. */
  public static List<String> splitList(String value) {
    List<String> items = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    int depth = 0;
    for (char c : value.toCharArray()) {
      if (c == '{') {
        depth++;
      } else if (c == '}' && depth > 0) {
        depth--;
      }
      if (depth == 0 && (c == ',' || Character.isWhitespace(c))) {
        if (cur.length() > 0) {
          items.add(cur.toString());
          cur.setLength(0);
        }
      } else {
        cur.append(c);
      }
    }
    if (cur.length() > 0) {
      items.add(cur.toString());
    }
    return items;
  }

  /** For one-line reports: a long inline table as "inline:{...}" (the key says which entry matched). */
  public static String shortLabel(String spec) {
    return spec.startsWith("inline:") && spec.length() > 30 ? "inline:{...}" : spec;
  }

  /** proxy:TYPE:NAME is looked up like TYPE:NAME, by proxymap. */
  public String effectiveType() {
    if (type.equals("proxy")) {
      return parse(name).type();
    }
    return type;
  }

  public boolean partialKeys() {
    return !PATTERN_TYPES.contains(effectiveType());
  }

  /** A lookup needs a server: done in the background and cached, never where mail waits. */
  public boolean remote() {
    return REMOTE_TYPES.contains(effectiveType());
  }

  /** Fixed-string tables fold keys to lower case. */
  public String key(String raw) {
    return partialKeys() ? raw.toLowerCase(Locale.ROOT) : raw;
  }

  /** The file whose change means the table changed (postmap rebuilds the .db, not the source). */
  public List<Path> files() {
    String t = effectiveType();
    String n = type.equals("proxy") ? parse(name).name() : name;
    if (n.isEmpty() || !n.startsWith("/")) {
      return List.of();
    }
    return switch (t) {
      case "hash", "btree" -> List.of(Path.of(n + ".db"));
      case "lmdb" -> List.of(Path.of(n + ".lmdb"));
      case "cdb" -> List.of(Path.of(n + ".cdb"));
      case "dbm", "sdbm" -> List.of(Path.of(n + ".pag"));
      case "inline", "static" -> List.of();
      default -> List.of(Path.of(n));
    };
  }

  @Override
  public String toString() {
    return spec;
  }
}
