package org.ptrguard.identity;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** Host-name rules as strict receivers apply them to EHLO and PTR names. Pure; never throws. */
public final class HostNames {
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?");
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  /** Suffixes that exist only inside private networks or are reserved (RFC 2606, 6761, 8375). */
  private static final Set<String> NON_PUBLIC = Set.of("local", "localdomain", "lan", "home", "internal",
      "intranet", "corp", "private", "priv", "test", "invalid", "localhost", "example", "home.arpa",
      "in-addr.arpa", "ip6.arpa");

  /** A name split at its registrable domain: {@code a.b.example.co.uk} -> [a, b], example.co.uk, co.uk. */
  public record RegistrableSplit(List<String> hostLabels, String registrableDomain, String publicSuffix) {}

  private HostNames() {}

  /** Lower case, without the trailing dot; "" for null. */
  public static String normalize(String name) {
    if (name == null) {
      return "";
    }
    String n = name.trim().toLowerCase(Locale.ROOT);
    return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
  }

  /** Why {@code name} is not a usable public FQDN for EHLO, or empty when it is one. */
  public static Optional<String> fqdnProblem(String name) {
    if (name == null || name.isBlank()) {
      return Optional.of("the name is empty");
    }
    String raw = name.trim();
    if (raw.startsWith("[") || IPV4.matcher(raw).matches() || raw.indexOf(':') >= 0) {
      return Optional.of("'" + raw + "' is an address literal, not a host name");
    }
    String n = normalize(raw);
    if (n.length() > 253) {
      return Optional.of("the name is longer than 253 characters");
    }
    if (n.equals("localhost") || n.equals("localhost.localdomain")) {
      return Optional.of("'" + n + "' is the loopback name");
    }
    String[] labels = n.split("\\.", -1);
    if (labels.length < 2) {
      return Optional.of("'" + n + "' is not fully qualified (no domain part)");
    }
    for (String label : labels) {
      if (label.isEmpty()) {
        return Optional.of("'" + n + "' has an empty label");
      }
      if (label.length() > 63) {
        return Optional.of("'" + n + "' has a label longer than 63 characters");
      }
      if (!LABEL.matcher(label).matches()) {
        return Optional.of("'" + n + "' has characters other than letters, digits and inner hyphens in '" + label + "'");
      }
    }
    String tld = labels[labels.length - 1];
    if (tld.chars().allMatch(Character::isDigit)) {
      return Optional.of("'" + n + "' ends in a numeric label");
    }
    for (String suffix : NON_PUBLIC) {
      if (n.equals(suffix) || n.endsWith("." + suffix)) {
        return Optional.of("'" + n + "' is under ." + suffix + ", which is not resolvable on the Internet");
      }
    }
    return Optional.empty();
  }

  /** Splits at the registrable domain (public suffix plus one label). */
  public static RegistrableSplit split(String name) {
    String n = normalize(name);
    if (n.isEmpty()) {
      return new RegistrableSplit(List.of(), "", "");
    }
    List<String> labels = Arrays.asList(n.split("\\.", -1));
    int suffixLabels = Math.max(1, PublicSuffixes.system().suffixLabels(labels));
    String suffix = String.join(".", labels.subList(labels.size() - suffixLabels, labels.size()));
    if (labels.size() <= suffixLabels) {
      return new RegistrableSplit(List.of(), n, suffix);
    }
    int domainStart = labels.size() - suffixLabels - 1;
    return new RegistrableSplit(List.copyOf(labels.subList(0, domainStart)),
        String.join(".", labels.subList(domainStart, labels.size())), suffix);
  }
}
