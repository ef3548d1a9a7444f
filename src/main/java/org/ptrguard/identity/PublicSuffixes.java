package org.ptrguard.identity;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Where a host name's registrable domain starts. Debian's {@code publicsuffix} package (the public
 * suffix list, {@code /usr/share/publicsuffix/public_suffix_list.dat}) is used when it is installed,
 * ptrguard's embedded subset otherwise. Only the list's ICANN section is read: its private section
 * makes provider zones such as {@code compute-1.amazonaws.com} suffixes of their own, which would
 * hide the address-spelling labels of a provider's default PTR name from the generic-name check.
 */
public final class PublicSuffixes {
  /** Debian's (and Fedora's) path of the list. */
  public static final Path DEBIAN_LIST = Path.of("/usr/share/publicsuffix/public_suffix_list.dat");
  /** JVM property naming another copy of the list (tests, or hosts that keep it elsewhere). */
  public static final String PROPERTY = "ptrguard.public-suffix-list";

  private static final class Holder {
    static final PublicSuffixes INSTANCE = load(Path.of(System.getProperty(PROPERTY, DEBIAN_LIST.toString())));
  }

  private final Set<String> rules;
  private final Set<String> wildcards;
  private final Set<String> exceptions;
  private final String description;
  /** Whether this is the whole list (every delegated TLD has a rule), not the embedded subset. */
  private final boolean complete;

  private PublicSuffixes(Set<String> rules, Set<String> wildcards, Set<String> exceptions, String description,
      boolean complete) {
    this.rules = Set.copyOf(rules);
    this.wildcards = Set.copyOf(wildcards);
    this.exceptions = Set.copyOf(exceptions);
    this.description = description;
    this.complete = complete;
  }

  /** The list this process uses, read once on first use. */
  public static PublicSuffixes system() {
    return Holder.INSTANCE;
  }

  /** The list at {@code file} if it can be read and has rules, else the embedded subset (saying why). */
  public static PublicSuffixes load(Path file) {
    if (Files.isReadable(file)) {
      try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        PublicSuffixes list = parse(in, true, "the public suffix list " + file);
        if (!list.rules.isEmpty()) {
          return list;
        }
        return embedded("ptrguard's embedded subset (" + file + " has no ICANN rules)");
      } catch (IOException | UncheckedIOException e) {
        return embedded("ptrguard's embedded subset (" + file + " unreadable: " + e.getMessage() + ")");
      }
    }
    return embedded("ptrguard's embedded subset (" + file + " not found; the Debian package publicsuffix provides it)");
  }

  static PublicSuffixes embedded(String description) {
    try (InputStream in = PublicSuffixes.class.getResourceAsStream("public-suffixes.txt")) {
      if (in == null) {
        throw new IllegalStateException("public-suffixes.txt missing from the jar");
      }
      return parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), false, description);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads rules one per line ({@code //} and {@code #} comments). With {@code icannOnly}, only lines
   * between the list's ICANN markers count. Every rule is kept in its ASCII (punycode) form, as names
   * arrive from DNS.
   */
  private static PublicSuffixes parse(BufferedReader in, boolean icannOnly, String description) {
    Set<String> rules = new HashSet<>();
    Set<String> wildcards = new HashSet<>();
    Set<String> exceptions = new HashSet<>();
    boolean inIcann = !icannOnly;
    for (String raw : (Iterable<String>) in.lines()::iterator) {
      String line = raw.trim();
      if (line.startsWith("//")) {
        if (line.contains("===BEGIN ICANN DOMAINS===")) {
          inIcann = true;
        } else if (line.contains("===END ICANN DOMAINS===")) {
          inIcann = false;
        }
        continue;
      }
      // A rule ends at the first whitespace; the list allows nothing after it.
      String rule = line.split("\\s", 2)[0];
      if (!inIcann || rule.isEmpty() || rule.startsWith("#")) {
        continue;
      }
      if (rule.startsWith("!")) {
        ascii(rule.substring(1)).ifPresent(exceptions::add);
      } else if (rule.startsWith("*.")) {
        ascii(rule.substring(2)).ifPresent(wildcards::add);
      } else {
        ascii(rule).ifPresent(rules::add);
      }
    }
    return new PublicSuffixes(rules, wildcards, exceptions, description + ", " + (rules.size() + wildcards.size()
        + exceptions.size()) + " rules", icannOnly);
  }

  private static Optional<String> ascii(String rule) {
    try {
      return Optional.of(IDN.toASCII(rule, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT));
    } catch (IllegalArgumentException notAName) {
      return Optional.empty();
    }
  }

  /**
   * Whether {@code tld} (lower case, ASCII) is a top-level domain of the public DNS: the list's ICANN
   * section has a rule for every delegated TLD ({@code com}, or {@code *.ck} for a wildcard one).
   * Empty with the embedded subset, which lists only some TLDs and so cannot say "unknown".
   */
  public Optional<Boolean> knowsTopLevelDomain(String tld) {
    if (!complete) {
      return Optional.empty();
    }
    return Optional.of(rules.contains(tld) || wildcards.contains(tld));
  }

  /** Which list this is, for {@code ptrguard config}. */
  public String description() {
    return description;
  }

  /**
   * How many trailing labels of {@code labels} (lower case, no empty labels) form the public suffix,
   * by the list's rules: the longest matching rule wins, an exception rule beats a wildcard, and a
   * name no rule covers has a one-label suffix (its TLD).
   */
  public int suffixLabels(List<String> labels) {
    int n = labels.size();
    for (int start = 0; start < n; start++) {
      String candidate = String.join(".", labels.subList(start, n));
      if (exceptions.contains(candidate)) {
        return n - start - 1;
      }
      if (rules.contains(candidate) || (start + 1 < n && wildcards.contains(String.join(".", labels.subList(start + 1, n))))) {
        return n - start;
      }
    }
    return Math.min(1, n);
  }
}
