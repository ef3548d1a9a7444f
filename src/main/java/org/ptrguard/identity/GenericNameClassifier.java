package org.ptrguard.identity;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ptrguard.net.Addresses;
import org.ptrguard.net.IpLiterals;

/**
 * Tells whether a PTR name looks assigned by a provider rather than chosen for a mail server.
 * Receivers punish such names quietly (spam scores, "generic rDNS" rules), so this is a warning
 * an admin should see before they do.
 *
 * <p>Three kinds of evidence, all looked for only in the host labels, left of the registrable
 * domain, so that a company called "dynamics" or "resmed" is never flagged for its own domain:
 * <ol>
 *   <li>the real address spelled in the name (dotted, dashed, reversed, zero-padded, hex, as one
 *       32-bit number, or three of its octets): the strongest sign, few mail hosts are named so;
 *   <li>dynamic or residential words as whole tokens of a label; strong words alone suffice, weak
 *       words (host, client, static, ...) only with a partial address or a number-heavy label;
 *   <li>a provider domain known for default names, with a machine-like (digit-bearing) label.
 * </ol>
 * Immutable and thread-safe.
 */
public final class GenericNameClassifier {
  /** A verdict and the evidence for it (empty when not generic). */
  public record GenericVerdict(boolean generic, String reason) {
    static final GenericVerdict NOT_GENERIC = new GenericVerdict(false, "");
  }

  /**
   * Words that on their own mark an access or dynamic network (SpamAssassin's and rspamd's
   * highest-weight words). Words with measurable ham hits are in {@link #WEAK} instead.
   */
  private static final Set<String> STRONG = Set.of("dyn", "dynamic", "dynip", "dhcp", "dsl", "adsl", "vdsl",
      "xdsl", "sdsl", "ppp", "pppoe", "dialup", "dial", "dialin", "cable", "cablemodem", "catv", "docsis", "cpe",
      "pool", "broadband", "bredband", "resnet", "residential", "dip", "hsd", "ftth", "fttx", "gprs", "cdma",
      "nat", "unassigned", "unused", "noreverse", "nat-pool");
  /** Words that appear in legitimate server names too; they count only next to other evidence. */
  private static final Set<String> WEAK = Set.of("client", "clients", "customer", "customers", "cust", "user",
      "users", "host", "static", "res", "wifi", "wireless", "mobile", "lte", "ip", "vps", "node", "ec");
  /** Words of mail-service names; with the address spelled and no dynamic word, the name is a mail host. */
  private static final Set<String> MAIL_SERVICE = Set.of("smtp", "mta", "outbound", "mailout", "smtpout", "relay");
  private static final Pattern TOKEN = Pattern.compile("[a-z]+");
  private static final Pattern DIGIT_GROUP = Pattern.compile("\\d+");

  private final Map<String, String> providerDefaults;

  private GenericNameClassifier(Map<String, String> providerDefaults) {
    this.providerDefaults = Map.copyOf(providerDefaults);
  }

  public static GenericNameClassifier standard() {
    return Holder.STANDARD;
  }

  private static final class Holder {
    static final GenericNameClassifier STANDARD = new GenericNameClassifier(loadProviders());
  }

  public GenericVerdict classify(String ptrName, InetAddress ip) {
    try {
      return classifyUnchecked(ptrName, ip);
    } catch (RuntimeException e) {
      // A classifier bug must never break a check: unknown shape, not generic.
      return GenericVerdict.NOT_GENERIC;
    }
  }

  /** Without the safety net, so that the fuzz test sees a bug the net would hide. */
  GenericVerdict classifyUnchecked(String ptrName, InetAddress ip) {
    HostNames.RegistrableSplit split = HostNames.split(ptrName);
    if (split.hostLabels().isEmpty() || ip == null) {
      return GenericVerdict.NOT_GENERIC;
    }
    String host = String.join(".", split.hostLabels());
    InetAddress address = IpLiterals.unmapped(ip);
    String addressText = Addresses.text(address);
    String domain = split.registrableDomain();
    String scheme = scheme(domain);
    List<String> tokens = tokens(split.hostLabels());
    Optional<String> strong = tokens.stream().filter(STRONG::contains).findFirst();
    // A mail-service name that spells its address (SendGrid's o<address>.outbound-mail) is still a
    // mail host to receivers: SpamAssassin exempts such names from RDNS_DYNAMIC. A dynamic word wins.
    boolean mailService = strong.isEmpty() && tokens.stream().anyMatch(MAIL_SERVICE::contains);
    Optional<String> full = address instanceof Inet4Address v4 ? fullIpv4(host, v4.getAddress())
        : ipv6(host, address.getAddress());
    if (full.isPresent() && !mailService) {
      return new GenericVerdict(true, "'" + host + "' spells the address " + addressText + " " + full.get() + scheme);
    }
    Optional<String> inDomain = address instanceof Inet4Address v4 ? domainSpellsAddress(split, v4.getAddress())
        : Optional.empty();
    if (inDomain.isPresent()) {
      return new GenericVerdict(true, "the domain '" + domain + "' spells the address " + addressText + " "
          + inDomain.get() + scheme);
    }
    if (strong.isPresent()) {
      return new GenericVerdict(true, "'" + host + "' contains the access-network word '" + strong.get() + "'" + scheme);
    }
    if (mailService) {
      return GenericVerdict.NOT_GENERIC;
    }
    Optional<String> partial = address instanceof Inet4Address v4 ? partialIpv4(host, v4.getAddress()) : Optional.empty();
    Optional<String> weak = tokens.stream().filter(WEAK::contains).findFirst();
    if (partial.isPresent() && (weak.isPresent() || numberHeavy(host) || !scheme.isEmpty())) {
      return new GenericVerdict(true, "'" + host + "' spells part of the address " + addressText + " (" + partial.get() + ")"
          + weak.map(w -> " next to the word '" + w + "'").orElse("") + scheme);
    }
    if (!scheme.isEmpty() && host.chars().anyMatch(Character::isDigit)) {
      return new GenericVerdict(true, "'" + host + "' is a numbered host name under " + domain + scheme);
    }
    if (weak.isPresent() && numberHeavy(host) && !mailWord(tokens)) {
      return new GenericVerdict(true, "'" + host + "' is a numbered '" + weak.get() + "' name");
    }
    return GenericVerdict.NOT_GENERIC;
  }

  /** "; scheme: ..." for a registrable domain known for default names, else "". */
  private String scheme(String domain) {
    String provider = providerDefaults.get(domain);
    return provider == null ? "" : "; provider scheme: " + provider + " (" + domain + ")";
  }

  // ---- address encodings

  /** How the whole address is spelled in {@code host}, with the matched text, e.g. "dashed ('198-51-100-7')". */
  private static Optional<String> fullIpv4(String host, byte[] b) {
    int[] o = {b[0] & 0xff, b[1] & 0xff, b[2] & 0xff, b[3] & 0xff};
    int[] r = {o[3], o[2], o[1], o[0]};
    for (String sep : new String[] {".", "-", "_", "x"}) {
      String form = separatorForm(sep);
      for (boolean padded : new boolean[] {false, true}) {
        String prefix = padded ? "zero-padded, " : "";
        String forward = join(o, sep, padded);
        if (containsNumber(host, forward)) {
          return Optional.of(prefix + form + " ('" + forward + "')");
        }
        String reversed = join(r, sep, padded);
        if (containsNumber(host, reversed)) {
          return Optional.of(prefix + "reversed " + form + " ('" + reversed + "')");
        }
      }
    }
    for (int[] order : new int[][] {o, r}) {
      String padded = join(order, "", true);
      if (containsNumber(host, padded)) {
        return Optional.of("zero-padded, concatenated" + (order == r ? ", reversed" : "") + " ('" + padded + "')");
      }
    }
    String fwd = join(o, "", false);
    if (fwd.length() >= 8 && containsNumber(host, fwd)) {
      return Optional.of("concatenated ('" + fwd + "')");
    }
    long value = ((long) o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3];
    if (value > 99_999 && containsNumber(host, Long.toString(value))) {
      return Optional.of("as the 32-bit number " + value);
    }
    String hex = String.format(Locale.ROOT, "%02x%02x%02x%02x", o[0], o[1], o[2], o[3]);
    String hexReversed = String.format(Locale.ROOT, "%02x%02x%02x%02x", o[3], o[2], o[1], o[0]);
    if (containsHex(host, hex)) {
      return Optional.of("in hexadecimal ('" + hex + "')");
    }
    if (containsHex(host, hexReversed)) {
      return Optional.of("in hexadecimal, reversed ('" + hexReversed + "')");
    }
    return Optional.empty();
  }

  /**
   * Some providers register one domain per address block and name hosts inside it (OVH:
   * nsNNNN.ip-A-B-C.eu), so the address sits in the registrable domain itself. Only the "ip-"
   * prefixed shape counts, with at least three octets of the real address: a company domain
   * never looks like that.
   */
  private static Optional<String> domainSpellsAddress(HostNames.RegistrableSplit split, byte[] b) {
    String domain = split.registrableDomain();
    int dot = domain.indexOf('.');
    String label = dot < 0 ? domain : domain.substring(0, dot);
    if (!label.startsWith("ip-")) {
      return Optional.empty();
    }
    return fullIpv4(label, b).or(() -> partialIpv4(label, b));
  }

  /**
   * Three octets, in order or reversed, with a separator (OVH's ip-A-B-C, ISP pools that drop one
   * end). Two octets alone are not enough: "smtp-2024" or "mx-1-5" would match too often.
   */
  private static Optional<String> partialIpv4(String host, byte[] b) {
    int[] o = {b[0] & 0xff, b[1] & 0xff, b[2] & 0xff, b[3] & 0xff};
    int[][] triples = {{o[0], o[1], o[2]}, {o[1], o[2], o[3]}, {o[2], o[1], o[0]}, {o[3], o[2], o[1]}};
    for (String sep : new String[] {".", "-", "_"}) {
      for (int i = 0; i < triples.length; i++) {
        String text = join(triples[i], sep, false);
        if (containsNumber(host, text)) {
          return Optional.of("three octets" + (i < 2 ? "" : ", reversed") + ", " + separatorForm(sep) + ": '" + text + "'");
        }
      }
    }
    return Optional.empty();
  }

  private static String separatorForm(String sep) {
    return sep.equals(".") ? "dotted" : sep.equals("-") ? "dashed" : "separated by '" + sep + "'";
  }


  /** The address's hex digits in a label: a long run of its nibbles, or its interface id. */
  private static Optional<String> ipv6(String host, byte[] b) {
    StringBuilder nibbles = new StringBuilder();
    for (byte x : b) {
      nibbles.append(String.format(Locale.ROOT, "%02x", x & 0xff));
    }
    String all = nibbles.toString();
    String compact = host.replaceAll("[^0-9a-f]", "");
    for (int len = 32; len >= 12; len--) {
      for (int start = 0; start + len <= 32; start++) {
        String run = all.substring(start, start + len);
        if (!run.chars().allMatch(c -> c == '0') && compact.contains(run) && host.replace("-", "").replace(".", "").contains(run)) {
          return Optional.of("as " + len + " of its hex digits ('" + run + "')");
        }
      }
    }
    // Dashed textual form, e.g. 2001-db8-0-1--25
    String text = Addresses.text(b).replace(':', '-');
    if (text.length() >= 8 && host.contains(text)) {
      return Optional.of("dashed ('" + text + "')");
    }
    return Optional.empty();
  }

  private static String join(int[] octets, String sep, boolean padded) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < octets.length; i++) {
      if (i > 0) {
        s.append(sep);
      }
      s.append(padded ? String.format(Locale.ROOT, "%03d", octets[i]) : Integer.toString(octets[i]));
    }
    return s.toString();
  }

  /** {@code needle} occurs with no digit directly before or after it. */
  private static boolean containsNumber(String host, String needle) {
    int from = 0;
    while (true) {
      int at = host.indexOf(needle, from);
      if (at < 0) {
        return false;
      }
      int end = at + needle.length();
      boolean before = at == 0 || !Character.isDigit(host.charAt(at - 1));
      boolean after = end == host.length() || !Character.isDigit(host.charAt(end));
      if (before && after) {
        return true;
      }
      from = at + 1;
    }
  }

  /** 8 hex digits standing alone: after a non-hex character, "0x", or a single-letter prefix. */
  private static boolean containsHex(String host, String hex) {
    Matcher m = Pattern.compile(Pattern.quote(hex)).matcher(host);
    while (m.find()) {
      int at = m.start();
      int end = m.end();
      boolean after = end == host.length() || !isHex(host.charAt(end));
      boolean before = at == 0 || !isHex(host.charAt(at - 1))
          || at >= 2 && host.startsWith("0x", at - 2)
          || at == 1 && Character.isLetter(host.charAt(0));
      if (before && after) {
        return true;
      }
    }
    return false;
  }

  private static boolean isHex(char c) {
    return c >= '0' && c <= '9' || c >= 'a' && c <= 'f';
  }

  // ---- words

  /** Alphabetic runs of every host label: "c-198-51-100-7.hsd1" gives [c, hsd]. */
  private static List<String> tokens(List<String> labels) {
    List<String> out = new ArrayList<>();
    for (String label : labels) {
      Matcher m = TOKEN.matcher(label.toLowerCase(Locale.ROOT));
      while (m.find()) {
        out.add(m.group());
      }
    }
    return out;
  }

  /** At least three separate numbers in the host part: the look of an address or an id, not a name. */
  private static boolean numberHeavy(String host) {
    Matcher m = DIGIT_GROUP.matcher(host);
    int groups = 0;
    while (m.find()) {
      groups++;
    }
    return groups >= 3;
  }

  private static boolean mailWord(List<String> tokens) {
    return tokens.stream().anyMatch(t -> t.equals("mail") || t.equals("smtp") || t.equals("mx") || t.equals("mta")
        || t.equals("relay") || t.equals("outbound") || t.equals("mailout"));
  }

  private static Map<String, String> loadProviders() {
    Map<String, String> out = new HashMap<>();
    try (var in = GenericNameClassifier.class.getResourceAsStream("provider-defaults.txt")) {
      if (in == null) {
        throw new IllegalStateException("provider-defaults.txt missing from the jar");
      }
      new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().map(String::trim)
          .filter(l -> !l.isEmpty() && !l.startsWith("#"))
          .forEach(l -> {
            String[] parts = l.split("\\s+", 2);
            out.put(parts[0], parts.length > 1 ? parts[1] : "provider default name");
          });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
