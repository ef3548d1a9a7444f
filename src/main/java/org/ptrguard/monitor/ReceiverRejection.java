package org.ptrguard.monitor;

import java.net.InetAddress;
import java.time.Instant;
import java.util.Optional;

/**
 * One receiver's rejection of our mail as Postfix logged it, already classified: what the feedback
 * side needs to attribute it, independent of where the line came from (journal or file).
 *
 * @param at when ptrguard read it
 * @param service the master.cf service that delivered (from the syslog tag: {@code postfix/smtp-ip2/smtp} gives
 *     {@code smtp-ip2}, {@code postfix/smtp} gives {@code smtp})
 * @param queueId Postfix's queue ID of the message
 * @param recipient the recipient address ({@code to=<...>}), without angle brackets
 * @param receiverHost the receiving host's name as Postfix logged it
 * @param receiverAddress its address; empty when the line named none (then the family is unknown)
 * @param status {@code bounced} or {@code deferred}
 * @param code the SMTP reply code, e.g. 550
 * @param dsn the enhanced status code, e.g. 5.7.25
 * @param replyClass ptr, fcrdns, helo, ipv6-ptr or other-rdns
 * @param rule the entry of the receiver-reply table that matched
 * @param text the receiver's reply text
 */
public record ReceiverRejection(Instant at, String service, String queueId, String recipient, String receiverHost,
    Optional<InetAddress> receiverAddress, String status, String code, String dsn, String replyClass, String rule, String text) {

  /** The recipient's domain, lower case; "-" when the address has none. */
  public String domain() {
    int at = recipient.lastIndexOf('@');
    return at < 0 || at == recipient.length() - 1 ? "-" : recipient.substring(at + 1).toLowerCase(java.util.Locale.ROOT);
  }

  /** {@code host[addr]} as Postfix writes it. */
  public String receiver() {
    return receiverHost + "[" + receiverAddress.map(org.ptrguard.net.Addresses::text).orElse("unknown") + "]";
  }
}
