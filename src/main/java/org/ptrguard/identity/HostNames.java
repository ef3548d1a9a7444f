package org.ptrguard.identity;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/** Host-name rules as strict receivers apply them to EHLO and PTR names. Pure; never throws. */
public final class HostNames {
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?");
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  /**
   * Suffixes receivers cannot resolve, with why: special-use names (RFC 6761, 6762, 7686, 8375, 9476,
   * ICANN's .internal), the reverse-mapping tree, and names private networks use that the root has
   * never delegated. The longest matching suffix wins (home.arpa before arpa-less home).
   */
  private static final Map<String, String> NON_PUBLIC = Map.ofEntries(
      Map.entry("localhost", "the loopback name (RFC 6761)"),
      Map.entry("localdomain", "a hosts-file convention, never delegated in the public DNS"),
      Map.entry("local", "multicast DNS, answered only on the local link (RFC 6762)"),
      Map.entry("home.arpa", "reserved for home networks (RFC 8375)"),
      Map.entry("internal", "reserved by ICANN for private use, never delegated"),
      Map.entry("in-addr.arpa", "the IPv4 reverse-mapping tree: a PTR owner, not a host name"),
      Map.entry("ip6.arpa", "the IPv6 reverse-mapping tree: a PTR owner, not a host name"),
      Map.entry("test", "reserved for testing (RFC 6761)"),
      Map.entry("example", "reserved for documentation (RFC 6761)"),
      Map.entry("invalid", "reserved to be invalid (RFC 6761)"),
      Map.entry("onion", "a Tor onion service name (RFC 7686)"),
      Map.entry("alt", "reserved for non-DNS name systems (RFC 9476)"),
      Map.entry("lan", "a private-network name, never delegated in the public DNS"),
      Map.entry("home", "a private-network name ICANN will not delegate (name collision)"),
      Map.entry("corp", "a private-network name ICANN will not delegate (name collision)"),
      Map.entry("mail", "a private-network name ICANN will not delegate (name collision)"),
      Map.entry("intranet", "a private-network name, never delegated in the public DNS"),
      Map.entry("intra", "a private-network name, never delegated in the public DNS"),
      Map.entry("private", "a private-network name, never delegated in the public DNS"),
      Map.entry("priv", "a private-network name, never delegated in the public DNS"));

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
    Optional<String> suffix = specialSuffix(n);
    if (suffix.isPresent()) {
      return Optional.of("'" + n + "' is under ." + suffix.get() + ", which is not resolvable on the Internet");
    }
    return Optional.empty();
  }

  /**
   * Why receivers on the Internet cannot resolve {@code name}, or empty when they can (as far as
   * names tell): a special-use or private suffix, a single label, or a top-level domain the public
   * suffix list does not know (only when the full list is installed; the embedded subset is too small
   * to tell). A local resolver answering for such a name proves nothing about what receivers see.
   */
  public static Optional<String> notPublic(String name) {
    String n = normalize(name);
    if (n.isEmpty()) {
      return Optional.empty();
    }
    Optional<String> suffix = specialSuffix(n);
    if (suffix.isPresent()) {
      return Optional.of("." + suffix.get() + " is " + NON_PUBLIC.get(suffix.get()));
    }
    int dot = n.lastIndexOf('.');
    if (dot < 0) {
      return Optional.of("'" + n + "' is a single label, which receivers cannot resolve");
    }
    String tld = n.substring(dot + 1);
    if (PublicSuffixes.system().knowsTopLevelDomain(tld).filter(known -> !known).isPresent()) {
      return Optional.of("." + tld + " is not a top-level domain of the public DNS (" + PublicSuffixes.system().description() + ")");
    }
    return Optional.empty();
  }

  /** The longest special-use or private suffix {@code n} (normalized) is or ends in. */
  private static Optional<String> specialSuffix(String n) {
    String best = null;
    for (String suffix : NON_PUBLIC.keySet()) {
      if ((n.equals(suffix) || n.endsWith("." + suffix)) && (best == null || suffix.length() > best.length())) {
        best = suffix;
      }
    }
    return Optional.ofNullable(best);
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
