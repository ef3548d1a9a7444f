package org.ptrguard.postfix;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The table of receivers' reverse-DNS and HELO rejection texts, read from the data file
 * {@code org/ptrguard/postfix/receiver-replies.conf} in the jar: each entry a pattern, a
 * {@link ReplyClass} and the public source of the text. {@link #classify} says which entry a reply
 * matches; replies about anything else (spam, full mailboxes, unknown users) match none.
 */
public final class ReceiverReplies {
  /** Where the table lives on the class path. */
  public static final String RESOURCE = "org/ptrguard/postfix/receiver-replies.conf";

  /** The kinds of rejection ptrguard tells apart. */
  public enum ReplyClass {
    PTR, FCRDNS, HELO, IPV6_PTR, OTHER_RDNS;

    /** {@code ptr}, {@code fcrdns}, {@code helo}, {@code ipv6-ptr}, {@code other-rdns}. */
    public String word() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * What to do about a rejection of this class, for the sending address {@code ip} ("the sending
     * address" when the log did not name it). Without DNS data: the log may come from another host.
     */
    public String fix(String ip) {
      return switch (this) {
        case PTR -> "Ask whoever holds " + ip + " (the hosting or access provider, not your domain's DNS host) for a PTR"
            + " record naming your mail server, and give that name an A/AAAA record back to " + ip + ".";
        case FCRDNS -> "Make " + ip + "'s PTR name resolve back to " + ip + " (its A/AAAA record), or have the provider"
            + " point the PTR at a name that does; `ptrguard check --ip " + ip + "` shows which half is missing.";
        case HELO -> "Set smtp_helo_name (main.cf, or the service's -o in master.cf) to a fully qualified name with an"
            + " A/AAAA record, best the PTR name of " + ip + ".";
        case IPV6_PTR -> "Give the IPv6 address " + ip + " a PTR record that resolves back to it, or keep this route on"
            + " IPv4 until it has one (smtp_address_preference = ipv4, or inet_protocols = ipv4 for the service).";
        case OTHER_RDNS -> "The receiver's reverse DNS check of " + ip + " failed: `ptrguard check --ip " + ip
            + "` shows the PTR record and its forward confirmation as receivers see them.";
      };
    }

    public static Optional<ReplyClass> ofWord(String word) {
      for (ReplyClass c : values()) {
        if (c.word().equals(word)) {
          return Optional.of(c);
        }
      }
      return Optional.empty();
    }
  }

  /** One row of the table. */
  public record Entry(String name, ReplyClass replyClass, Pattern pattern, String source, String example) {}

  /** A reply the table recognised. */
  public record Match(Entry entry, String foldedText) {
    public ReplyClass replyClass() {
      return entry.replyClass();
    }
  }

  private static final ReceiverReplies STANDARD = load();
  private static final Pattern LEADING_CODES = Pattern.compile("^([245]\\d\\d)[ -](?:([245]\\.\\d{1,3}\\.\\d{1,3}) )?");

  private final List<Entry> entries;

  ReceiverReplies(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  /** The table shipped in the jar. */
  public static ReceiverReplies standard() {
    return STANDARD;
  }

  public List<Entry> entries() {
    return entries;
  }

  /** The first entry whose pattern the (folded) reply text matches; empty for anything else. */
  public Optional<Match> classify(String replyText) {
    String folded = fold(replyText);
    for (Entry e : entries) {
      if (e.pattern().matcher(folded).find()) {
        return Optional.of(new Match(e, folded));
      }
    }
    return Optional.empty();
  }

  /** The line's reply classified; empty when the line has no reply or the reply is not about rDNS/HELO. */
  public Optional<Match> classify(DeliveryLogLine line) {
    return line.reply().flatMap(r -> classify(r.text()));
  }

  /**
   * Postfix joins a multi-line reply with spaces, so every line's code prefix lands inside the text
   * ({@code 550-5.7.25 does not have a 550-5.7.25 PTR record}); the prefixes after the first go,
   * so patterns can match words that a line break separated.
   */
  static String fold(String text) {
    Matcher m = LEADING_CODES.matcher(text);
    if (!m.lookingAt()) {
      return text;
    }
    String code = m.group(1);
    String enhanced = m.group(2);
    String prefixes = " " + code + "[ -]" + (enhanced == null ? "" : enhanced.replace(".", "\\.") + " ?");
    String rest = text.substring(m.end()).replaceAll(prefixes, " ");
    return text.substring(0, m.end()) + rest.replaceAll("  +", " ");
  }

  private static ReceiverReplies load() {
    Config c = ConfigFactory.parseResources(ReceiverReplies.class.getClassLoader(), RESOURCE,
        ConfigParseOptions.defaults().setAllowMissing(false));
    List<Entry> entries = new ArrayList<>();
    for (Config e : c.getConfigList("replies")) {
      String name = e.getString("name");
      ReplyClass replyClass = ReplyClass.ofWord(e.getString("class"))
          .orElseThrow(() -> new IllegalStateException(RESOURCE + ": entry " + name + ": unknown class " + e.getString("class")));
      Pattern pattern;
      try {
        pattern = Pattern.compile(e.getString("pattern"), Pattern.CASE_INSENSITIVE);
      } catch (PatternSyntaxException x) {
        throw new IllegalStateException(RESOURCE + ": entry " + name + ": " + x.getMessage(), x);
      }
      entries.add(new Entry(name, replyClass, pattern, e.getString("source"), e.getString("example")));
    }
    return new ReceiverReplies(entries);
  }
}
