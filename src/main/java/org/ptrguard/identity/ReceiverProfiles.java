package org.ptrguard.identity;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The receiver profiles of {@code receivers.conf} (in the jar), and the judgement of an identity
 * report against them. Parsing checks everything once: unknown keys, outcomes, regexes, duplicate ids;
 * data that does not parse is a {@link ReceiverProfilesException} naming the place and the reason.
 */
public final class ReceiverProfiles {
  static final String RESOURCE = "/org/ptrguard/identity/receivers.conf";
  private static final Set<String> PROFILE_KEYS = Set.of("id", "title", "scoring", "rules");
  private static final Set<String> RULE_KEYS = Set.of("name", "source", "when", "outcome", "reply", "note");
  private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]*");
  private static volatile ReceiverProfiles standard;

  private final List<ReceiverProfile> profiles;

  private ReceiverProfiles(List<ReceiverProfile> profiles) {
    this.profiles = List.copyOf(profiles);
  }

  /** The profiles shipped in the jar (parsed once). */
  public static ReceiverProfiles standard() {
    ReceiverProfiles s = standard;
    if (s == null) {
      try (InputStream in = ReceiverProfiles.class.getResourceAsStream(RESOURCE)) {
        if (in == null) {
          throw new ReceiverProfilesException("receiver profiles: " + RESOURCE + " is missing from the jar");
        }
        s = parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "receivers.conf (in the jar)");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + RESOURCE, e);
      }
      standard = s;
    }
    return s;
  }

  /** Parses profile data; {@code origin} names it in error messages. */
  public static ReceiverProfiles parse(String text, String origin) {
    Config root;
    try {
      root = ConfigFactory.parseString(text, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF)
          .setOriginDescription(origin).setAllowMissing(false)).resolve();
    } catch (ConfigException e) {
      throw new ReceiverProfilesException("receiver profiles do not parse: " + e.getMessage(), e);
    }
    List<ReceiverProfile> out = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    List<? extends Config> list = get(origin, "profiles", () -> root.getConfigList("profiles"));
    if (list.isEmpty()) {
      throw new ReceiverProfilesException(origin + ": profiles is empty");
    }
    for (int i = 0; i < list.size(); i++) {
      ReceiverProfile p = profile(origin + ": profiles[" + i + "]", list.get(i));
      if (!ids.add(p.id())) {
        throw new ReceiverProfilesException(origin + ": profiles[" + i + "]: id '" + p.id() + "' is used twice");
      }
      out.add(p);
    }
    return new ReceiverProfiles(out);
  }

  public List<ReceiverProfile> profiles() {
    return profiles;
  }

  /** Each profile's verdict on the identity {@code report} describes. */
  public ReceiverMatrix judge(IdentityReport report) {
    return judge(ReceiverFacts.of(report));
  }

  public ReceiverMatrix judge(ReceiverFacts facts) {
    List<ReceiverVerdict> rows = new ArrayList<>();
    for (ReceiverProfile p : profiles) {
      List<ReceiverVerdict.Fired> fired = new ArrayList<>();
      ReceiverOutcome worst = ReceiverOutcome.ACCEPT;
      double score = 0;
      for (ReceiverRule r : p.rules()) {
        if (!r.when().holds(facts)) {
          continue;
        }
        fired.add(new ReceiverVerdict.Fired(r, r.replyFor(facts)));
        score += r.outcome().score();
        // the first rule of the worst kind decides the code: receivers answer with the first refusal
        if (r.outcome().kind().compareTo(worst.kind()) > 0) {
          worst = r.outcome();
        }
      }
      if (worst.kind() == ReceiverOutcome.Kind.SPAM_SCORE) {
        // scores are published with up to three decimals; the sum must not show binary noise
        worst = new ReceiverOutcome(ReceiverOutcome.Kind.SPAM_SCORE, "", Math.round(score * 1000) / 1000.0);
      }
      rows.add(new ReceiverVerdict(p, facts.ipv6() ? p.id() + "-v6" : p.id(), worst, fired));
    }
    return new ReceiverMatrix(rows);
  }

  // ---- parsing

  private static ReceiverProfile profile(String where, Config c) {
    unknownKeys(where, c, PROFILE_KEYS);
    String id = string(where, c, "id");
    if (!ID.matcher(id).matches()) {
      throw new ReceiverProfilesException(where + ": id '" + id + "' must be lower-case letters, digits and hyphens");
    }
    String title = string(where, c, "title");
    boolean scoring = get(where, "scoring", () -> c.getBoolean("scoring"));
    List<? extends Config> rules = get(where, "rules", () -> c.getConfigList("rules"));
    List<ReceiverRule> out = new ArrayList<>();
    for (int i = 0; i < rules.size(); i++) {
      ReceiverRule r = rule(where + ".rules[" + i + "]", rules.get(i));
      if (scoring != (r.outcome().kind() == ReceiverOutcome.Kind.SPAM_SCORE)) {
        throw new ReceiverProfilesException(where + ".rules[" + i + "] (" + r.name() + "): outcome '" + r.outcome().text()
            + (scoring ? "' in a scoring profile: only spam-score +N" : "' in a non-scoring profile: spam-score belongs to scoring profiles"));
      }
      out.add(r);
    }
    return new ReceiverProfile(id, title, scoring, out);
  }

  private static ReceiverRule rule(String where, Config c) {
    unknownKeys(where, c, RULE_KEYS);
    String name = string(where, c, "name");
    String at = where + " (" + name + ")";
    String source = string(at, c, "source");
    ReceiverOutcome outcome;
    try {
      outcome = ReceiverOutcome.parse(string(at, c, "outcome"));
    } catch (IllegalArgumentException e) {
      throw new ReceiverProfilesException(at + ": outcome " + e.getMessage());
    }
    Config when = get(at, "when", () -> c.getConfig("when"));
    return new ReceiverRule(name, source, condition(at + ".when", when), outcome, optional(at, c, "reply"),
        optional(at, c, "note"));
  }

  private static ReceiverCondition condition(String where, Config c) {
    unknownKeys(where, c, Set.copyOf(ReceiverCondition.KEYS));
    Optional<String> family = optional(where, c, "family");
    if (family.isPresent() && !family.get().equals("ipv4") && !family.get().equals("ipv6")) {
      throw new ReceiverProfilesException(where + ": family '" + family.get() + "' must be ipv4 or ipv6");
    }
    return new ReceiverCondition(family, codes(where, c, "any-finding"), codes(where, c, "no-finding"),
        bool(where, c, "verified-ptr"),
        regex(where, c, "ptr-matches"), regex(where, c, "ptr-not-matches"), regex(where, c, "helo-matches"),
        regex(where, c, "helo-not-matches"), bool(where, c, "helo-is-ptr"),
        lookups(where, c, "temporary-lookup"), lookups(where, c, "no-temporary-lookup"));
  }

  private static List<Lookup> lookups(String where, Config c, String key) {
    if (!c.hasPath(key)) {
      return List.of();
    }
    List<Lookup> out = new ArrayList<>();
    for (String name : get(where, key, () -> c.getStringList(key))) {
      out.add(Lookup.ofKey(name).orElseThrow(() -> new ReceiverProfilesException(where + ": " + key + ": '" + name
          + "' is not a lookup (" + String.join(", ", java.util.Arrays.stream(Lookup.values()).map(Lookup::key).toList()) + ")")));
    }
    return out;
  }

  private static Optional<Boolean> bool(String where, Config c, String key) {
    return c.hasPath(key) ? Optional.of(get(where, key, () -> c.getBoolean(key))) : Optional.empty();
  }

  private static List<String> codes(String where, Config c, String key) {
    if (!c.hasPath(key)) {
      return List.of();
    }
    List<String> codes = get(where, key, () -> c.getStringList(key));
    for (String code : codes) {
      if (!code.matches("[a-z0-9-]+\\.[a-z0-9.-]+")) {
        throw new ReceiverProfilesException(where + ": " + key + ": '" + code + "' is not a finding code (like ptr.missing)");
      }
    }
    return codes;
  }

  private static Optional<Pattern> regex(String where, Config c, String key) {
    Optional<String> text = optional(where, c, key);
    try {
      return text.map(t -> Pattern.compile(t, Pattern.CASE_INSENSITIVE));
    } catch (PatternSyntaxException e) {
      throw new ReceiverProfilesException(where + ": " + key + " is not a valid regular expression: "
          + e.getDescription() + " near index " + e.getIndex() + " of '" + e.getPattern() + "'");
    }
  }

  private static void unknownKeys(String where, Config c, Set<String> known) {
    for (String key : c.root().keySet()) {
      if (!known.contains(key)) {
        throw new ReceiverProfilesException(where + ": unknown key '" + key + "' (known: " + String.join(", ", known.stream().sorted().toList()) + ")");
      }
    }
  }

  private static String string(String where, Config c, String key) {
    String s = get(where, key, () -> c.getString(key));
    if (s.isBlank()) {
      throw new ReceiverProfilesException(where + ": " + key + " is empty");
    }
    return s;
  }

  private static Optional<String> optional(String where, Config c, String key) {
    return c.hasPath(key) ? Optional.of(string(where, c, key)) : Optional.empty();
  }

  private static <T> T get(String where, String key, java.util.function.Supplier<T> read) {
    try {
      return read.get();
    } catch (ConfigException.Missing e) {
      throw new ReceiverProfilesException(where + ": " + key + " is missing");
    } catch (ConfigException e) {
      throw new ReceiverProfilesException(where + ": " + key + ": " + e.getMessage());
    }
  }
}
