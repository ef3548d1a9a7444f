package org.ptrguard.policy;

import java.util.Map;
import org.ptrguard.config.Settings.EnforceAction;
import org.ptrguard.config.Settings.Mode;
import org.ptrguard.config.Settings.OnDnsError;
import org.ptrguard.config.Settings.Severity;
import org.ptrguard.config.Settings;
import org.ptrguard.identity.Verdict;
import org.ptrguard.milter.MilterReply;
import org.ptrguard.monitor.IdentityStatus;
import org.ptrguard.policy.Decision.Action;

/**
 * Mode plus verdict gives an action. Pure: the same settings and status always give the same
 * decision, which is what makes audit mode an honest preview of enforce mode.
 */
public final class DecisionMaker {
  /** SMTP replies stay well below the 512-octet line limit of RFC 5321 even after expansion. */
  static final int MAX_REASON_LENGTH = 200;

  private DecisionMaker() {}

  public static Decision decide(Settings settings, IdentityStatus status) {
    Action blocking = blockingAction(settings);
    Action passing = settings.audit().addHeader() ? Action.ADD_HEADER : Action.ACCEPT;
    boolean blocks = blocks(settings, status.verdict());
    Action enforced = blocks ? blocking : Action.ACCEPT;
    Action action = settings.mode() == Mode.ENFORCE ? enforced : passing;
    String reply = action == Action.TEMPFAIL ? reply(settings, status) : "";
    String note = switch (action) {
      case HOLD -> "ptrguard: outbound identity " + status.ip() + " not ready: " + smtpSafe(status.reason());
      case ADD_HEADER -> header(status);
      default -> "";
    };
    return new Decision(action, enforced, reply, note, status);
  }

  /** Whether enforce mode stops mail with this verdict. */
  static boolean blocks(Settings settings, Verdict verdict) {
    return switch (verdict) {
      case PASS -> false;
      case WARN -> settings.enforce().blockOn().contains(Severity.WARN);
      case FAIL -> settings.enforce().blockOn().contains(Severity.FAIL);
      case UNKNOWN -> settings.onDnsError() == OnDnsError.TEMPFAIL;
    };
  }

  /** Hold never loses mail where a tempfail would bounce (non_smtpd_milters), so it wins for unknown too. */
  private static Action blockingAction(Settings settings) {
    return settings.enforce().action() == EnforceAction.HOLD ? Action.HOLD : Action.TEMPFAIL;
  }

  static String reply(Settings settings, IdentityStatus status) {
    String reply = settings.enforce().reply().expand(Map.of(
        "ip", status.ip(),
        "identity", smtpSafe(status.identity()),
        "verdict", status.verdict().word(),
        "code", status.codes().isEmpty() ? "none" : status.codes().get(0),
        "reason", smtpSafe(status.reason())));
    // The template was checked with short sample values; long names or reasons must not push the
    // reply past SMTP's line limit, where the milter reply would be refused.
    return reply.length() <= MilterReply.MAX_LINE_LENGTH ? reply : reply.substring(0, MilterReply.MAX_LINE_LENGTH).strip();
  }

  static String header(IdentityStatus status) {
    return status.verdict().word() + " identity=" + smtpSafe(status.identity()) + " ip=" + status.ip()
        + (status.codes().isEmpty() ? "" : " codes=" + String.join(",", status.codes()))
        + (status.stale() ? " stale=yes" : "");
  }

  /** Printable ASCII only, bounded: the text ends up in an SMTP reply or a header. */
  static String smtpSafe(String text) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length() && out.length() < MAX_REASON_LENGTH; i++) {
      char c = text.charAt(i);
      out.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return out.toString().strip();
  }
}
