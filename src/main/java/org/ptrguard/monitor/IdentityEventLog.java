package org.ptrguard.monitor;

import java.util.List;
import java.util.Optional;
import org.ptrguard.identity.Identity;
import org.ptrguard.identity.IdentityReport;
import org.ptrguard.identity.ReceiverMatrix;
import org.ptrguard.identity.ReceiverOutcome;
import org.ptrguard.identity.ReceiverProfiles;
import org.ptrguard.identity.Verdict;
import org.ptrguard.monitor.IdentityTargets.Resolution;
import org.ptrguard.monitor.IdentityTargets.Target;
import org.ptrguard.net.Addresses;
import org.ptrguard.ops.LogValues;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The monitor's log lines: what each configured identity resolved to, and each change of an address's
 * verdict or receiver matrix (logged once when it changes, never per session).
 */
final class IdentityEventLog {
  // The logger keeps the name it had before the monitor had its own package: operators filter on it.
  private static final Logger LOG = LoggerFactory.getLogger("org.ptrguard.identity");

  private IdentityEventLog() {}

  static void resolved(Resolution res) {
    res.problems().forEach(p -> LOG.warn("event=identity-unresolved problem={}", LogValues.of(p)));
    for (Target t : res.targets()) {
      LOG.info("event=identity-target identity={} ip={} ehlo={} ip-source={} ehlo-source={}", LogValues.of(t.identityName()),
          Addresses.text(t.identity().ip()), LogValues.of(t.identity().ehlo()), LogValues.of(t.ipProvenance()),
          LogValues.of(t.ehloProvenance()));
    }
  }

  /**
   * Logs a new report once: the first one, and then only when the verdict or the receiver matrix changes,
   * so the journal says which receivers a broken identity is losing (receivers-rejecting: those that
   * refuse or defer its mail; receivers-scoring: the content filters that add a spam score).
   */
  static void changed(Identity identity, Optional<IdentityReport> before, IdentityReport after) {
    String to = after.verdict().word();
    String codes = after.codes().isEmpty() ? "-" : String.join(",", after.codes());
    ReceiverMatrix matrix = ReceiverProfiles.standard().judge(after);
    String rejecting = list(matrix.refusing());
    String scoring = list(matrix.rows().stream().filter(v -> v.outcome().kind() == ReceiverOutcome.Kind.SPAM_SCORE)
        .map(v -> v.label() + "+" + ReceiverOutcome.number(v.outcome().score())).toList());
    // A recovery is good news: at warning level it would page whoever alerts on warnings.
    boolean bad = after.verdict() != Verdict.PASS || !matrix.refusing().isEmpty();
    if (before.isEmpty()) {
      log(bad, "event=identity identity={} ip={} ehlo={} ptr={} verdict={} codes={} receivers-rejecting={} receivers-scoring={}",
          LogValues.of(identity.name()), Addresses.text(identity.ip()), LogValues.of(identity.ehlo()),
          LogValues.of(after.ptrNames().isEmpty() ? "-" : String.join(",", after.ptrNames())), to, LogValues.of(codes),
          rejecting, scoring);
      return;
    }
    ReceiverMatrix was = ReceiverProfiles.standard().judge(before.get());
    if (before.get().verdict() != after.verdict() || !outcomes(was).equals(outcomes(matrix))) {
      log(bad, "event=identity identity={} ip={} from={} to={} codes={} receivers-rejecting={} receivers-scoring={}",
          LogValues.of(identity.name()), Addresses.text(identity.ip()), before.get().verdict().word(), to,
          LogValues.of(codes), rejecting, scoring);
    }
  }

  /** What each receiver does, in profile order: the part of the matrix whose change is worth a line. */
  private static List<String> outcomes(ReceiverMatrix m) {
    return m.rows().stream().map(v -> v.label() + " " + v.outcome().text()).toList();
  }

  private static String list(List<String> items) {
    return items.isEmpty() ? "-" : String.join(",", items);
  }

  private static void log(boolean warn, String line, Object... args) {
    if (warn) {
      LOG.warn(line, args);
    } else {
      LOG.info(line, args);
    }
  }
}
