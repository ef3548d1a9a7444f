package org.ptrguard.policy;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.ptrguard.config.Settings.IdentitySettings;

/**
 * Picks the identity whose traffic a session carries: an identity that names the Postfix service
 * ({@code {daemon_name}}) and/or the sender's domain wins over the catch-all one, the most specific
 * first, config order breaking ties. Multi-IP setups thus check each IP against the mail that really
 * leaves through it.
 */
public final class IdentitySelector {
  private final List<IdentitySettings> identities;

  public IdentitySelector(List<IdentitySettings> identities) {
    this.identities = List.copyOf(identities);
  }

  /** True when some identity is chosen by sender, so the decision has to wait for MAIL FROM. */
  public boolean needsSender() {
    return identities.stream().anyMatch(id -> !id.senders().isEmpty());
  }

  /** The identity for this traffic; empty when only selective identities exist and none matches. */
  public Optional<IdentitySettings> select(Optional<String> daemonName, Optional<String> senderDomain) {
    IdentitySettings best = null;
    int bestScore = -1;
    for (IdentitySettings id : identities) {
      int score = score(id, daemonName, senderDomain);
      if (score > bestScore) {
        best = id;
        bestScore = score;
      }
    }
    return Optional.ofNullable(best);
  }

  /** -1: does not match; otherwise 0 for the catch-all, +1 per matching selector kind. */
  private static int score(IdentitySettings id, Optional<String> daemonName, Optional<String> senderDomain) {
    int score = 0;
    if (!id.services().isEmpty()) {
      if (daemonName.isEmpty() || !id.services().contains(daemonName.get())) {
        return -1;
      }
      score++;
    }
    if (!id.senders().isEmpty()) {
      if (senderDomain.isEmpty() || id.senders().stream().noneMatch(d -> domainMatches(senderDomain.get(), d))) {
        return -1;
      }
      score++;
    }
    return score;
  }

  /** example.org covers example.org and its subdomains (news.example.org), not badexample.org. */
  static boolean domainMatches(String domain, String configured) {
    return domain.equals(configured) || domain.endsWith("." + configured);
  }

  /**
   * The domain of a MAIL FROM address as the milter sees it: {@code <u@Example.ORG>} from smtpd,
   * {@code u@example.org} from the non-SMTP path; empty for the null sender or no domain.
   */
  public static Optional<String> senderDomain(String mailFromArg) {
    String a = mailFromArg.strip();
    if (a.startsWith("<") && a.endsWith(">")) {
      a = a.substring(1, a.length() - 1);
    }
    int at = a.lastIndexOf('@');
    if (at < 0 || at == a.length() - 1) {
      return Optional.empty();
    }
    String domain = a.substring(at + 1).toLowerCase(Locale.ROOT);
    if (domain.endsWith(".")) {
      domain = domain.substring(0, domain.length() - 1);
    }
    return domain.isEmpty() ? Optional.empty() : Optional.of(domain);
  }
}
