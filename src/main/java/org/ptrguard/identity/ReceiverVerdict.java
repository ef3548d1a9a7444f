package org.ptrguard.identity;

import java.util.List;
import java.util.Optional;

/**
 * What one receiver profile does with one identity: the combined outcome and the rules that fired.
 *
 * @param label the profile id, with {@code -v6} for an IPv6 identity (receivers-rejecting=gmail,microsoft-v6)
 */
public record ReceiverVerdict(ReceiverProfile profile, String label, ReceiverOutcome outcome, List<Fired> fired) {
  /** A rule that fired, with its reply text as this identity gets it. */
  public record Fired(ReceiverRule rule, Optional<String> reply) {}

  public ReceiverVerdict {
    fired = List.copyOf(fired);
  }
}
