package org.ptrguard.policy;

import org.ptrguard.monitor.IdentityStatus;


/**
 * The guard's answer for one session or message, before it is turned into milter replies.
 *
 * @param action what to do with the mail
 * @param wouldBlock in audit mode: what enforce mode would have done (for the log); else equals action
 * @param smtpReply for TEMPFAIL: the full SMTP reply text; empty otherwise
 * @param note for HOLD the quarantine reason, for ADD_HEADER the header value; empty otherwise
 * @param status the identity status the decision was made on
 */
public record Decision(Action action, Action wouldBlock, String smtpReply, String note, IdentityStatus status) {

  public enum Action {
    /** Let the mail go; the guard is done with this session. */
    ACCEPT,
    /** Let the mail go, and add an X-PTRGuard header at end of message (audit.add-header). */
    ADD_HEADER,
    /** Answer the SMTP reply; Postfix returns it at MAIL FROM and queues nothing. */
    TEMPFAIL,
    /** Accept the message and put it on Postfix's hold queue at end of message. */
    HOLD;

    public String word() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
  }
}
