package org.ptrguard.policy;

import java.util.Optional;
import org.ptrguard.config.Settings.Mode;
import org.ptrguard.monitor.IdentityStatus;
import org.ptrguard.ops.LogValues;
import org.ptrguard.policy.Decision.Action;

/**
 * The one logfmt line an admin reads per decision, e.g.
 * {@code event=decision mode=enforce action=tempfail identity=default ip=203.0.113.10 ptr=... ehlo=...
 * verdict=fail codes=fcrdns.mismatch stage=helo client=10.0.0.5 daemon=submission}.
 * Every value goes through {@link LogValues}, because HELO names, addresses and macros come from the
 * network.
 */
public final class DecisionLine {
  private DecisionLine() {}

  /** The identity part of the last line, reused while sessions keep getting the same status object. */
  private record IdentityPart(IdentityStatus status, String text) {}

  private static volatile IdentityPart lastIdentityPart = new IdentityPart(null, "");

  public static String format(Mode mode, Decision d, String stage, Optional<String> client,
      Optional<String> daemon, long connectionId) {
    StringBuilder line = new StringBuilder(256)
        .append("event=decision mode=").append(mode.name().toLowerCase(java.util.Locale.ROOT))
        .append(" action=").append(d.action().word());
    if (mode == Mode.AUDIT && d.wouldBlock() != Action.ACCEPT) {
      line.append(" would=").append(d.wouldBlock().word());
    }
    line.append(identityPart(d.status()))
        .append(" stage=").append(stage)
        .append(" client=").append(LogValues.of(client.orElse("-")))
        .append(" daemon=").append(LogValues.of(daemon.orElse("-")))
        .append(" conn=").append(connectionId);
    return line.toString();
  }

  private static String identityPart(IdentityStatus s) {
    IdentityPart last = lastIdentityPart;
    if (last.status() == s) {
      return last.text();
    }
    StringBuilder part = new StringBuilder(160)
        .append(" identity=").append(LogValues.of(s.identity()))
        .append(" ip=").append(LogValues.of(s.ip()))
        .append(" ptr=").append(LogValues.of(s.ptr().isEmpty() ? "-" : String.join(",", s.ptr())))
        .append(" ehlo=").append(LogValues.of(s.ehlo()))
        .append(" verdict=").append(s.verdict().word())
        .append(" codes=").append(LogValues.of(s.codes().isEmpty() ? "-" : String.join(",", s.codes())));
    if (s.stale()) {
      part.append(" stale=yes");
    }
    String text = part.toString();
    lastIdentityPart = new IdentityPart(s, text);
    return text;
  }
}
