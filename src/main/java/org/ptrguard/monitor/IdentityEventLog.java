package org.ptrguard.monitor;

import java.util.Optional;
import org.ptrguard.identity.Identity;
import org.ptrguard.identity.IdentityReport;
import org.ptrguard.identity.Verdict;
import org.ptrguard.monitor.IdentityTargets.Resolution;
import org.ptrguard.monitor.IdentityTargets.Target;
import org.ptrguard.net.Addresses;
import org.ptrguard.ops.LogValues;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The monitor's log lines: what each configured identity resolved to, and each change of an address's
 * verdict (logged once when it changes, never per session).
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

  static void changed(Identity identity, Optional<IdentityReport> before, IdentityReport after) {
    String to = after.verdict().word();
    String codes = after.codes().isEmpty() ? "-" : String.join(",", after.codes());
    if (before.isEmpty()) {
      String line = "event=identity identity={} ip={} ehlo={} ptr={} verdict={} codes={}";
      Object[] args = {LogValues.of(identity.name()), Addresses.text(identity.ip()), LogValues.of(identity.ehlo()),
          LogValues.of(after.ptrNames().isEmpty() ? "-" : String.join(",", after.ptrNames())), to, LogValues.of(codes)};
      if (after.verdict() == Verdict.PASS) {
        LOG.info(line, args);
      } else {
        LOG.warn(line, args);
      }
    } else if (before.get().verdict() != after.verdict()) {
      String line = "event=identity identity={} ip={} from={} to={} codes={}";
      Object[] args = {LogValues.of(identity.name()), Addresses.text(identity.ip()), before.get().verdict().word(), to,
          LogValues.of(codes)};
      // A recovery is good news: at warning level it would page whoever alerts on warnings.
      if (after.verdict() == Verdict.PASS) {
        LOG.info(line, args);
      } else {
        LOG.warn(line, args);
      }
    }
  }
}
