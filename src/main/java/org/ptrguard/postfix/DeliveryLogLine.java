package org.ptrguard.postfix;

import java.net.InetAddress;
import java.time.Instant;
import java.util.Optional;
import org.ptrguard.postfix.Route.Family;

/**
 * One line of Postfix's delivery log written by an smtp or lmtp client process, as far as ptrguard
 * needs it: which service delivered (the master.cf service name from the syslog tag), to whom, via
 * which receiver, and what the receiver answered. Made by {@link DeliveryLogParser} from syslog,
 * journal or {@code maillog_file} lines. Every text field is already capped and escaped
 * ({@link LogText}): no control character or megabyte of receiver text survives parsing.
 *
 * @param time when the line was logged; empty when the form carries no usable time
 * @param host the logging host's name as the log line gives it; "" when unknown
 * @param syslogName the tag before the service ({@code postfix}, {@code postfix-out}); Postfix's
 *     {@code syslog_name}
 * @param service the master.cf service that delivered: {@code smtp-ip2} for the tag
 *     {@code postfix/smtp-ip2/smtp}, else the program name ({@code smtp}, {@code relay} when the
 *     service logs as such)
 * @param program the Postfix program: {@code smtp} or {@code lmtp}
 * @param pid the process ID from the tag; 0 when the form has none
 * @param queueId Postfix's queue ID (short or long form)
 * @param recipient the {@code to=} address
 * @param receiver {@code relay=HOST[ADDR]:PORT}, or the host named in the text
 * @param dsn the {@code dsn=} field (enhanced status code Postfix recorded)
 * @param status {@code status=}; {@link Status#NONE} for lines without one
 * @param event what kind of smtp client line this is
 * @param reply the receiver's reply, when the line carries one
 */
public record DeliveryLogLine(
    Optional<Instant> time,
    String host,
    String syslogName,
    String service,
    String program,
    long pid,
    Optional<String> queueId,
    Optional<String> recipient,
    Optional<Receiver> receiver,
    Optional<String> dsn,
    Status status,
    Event event,
    Optional<Reply> reply) {

  /** Postfix's {@code status=} words that matter here; anything else is {@link #OTHER}. */
  public enum Status {
    SENT, DEFERRED, BOUNCED, EXPIRED, OTHER, NONE;

    public String word() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** The kinds of smtp client lines that can carry a receiver's answer. */
  public enum Event {
    /** {@code to=<...>, relay=..., dsn=..., status=... (TEXT)}. */
    DELIVERY,
    /** {@code host H[A] said: REPLY (in reply to ... command)} outside a status line. */
    SAID,
    /** {@code host H[A] refused to talk to me: REPLY}: the greeting was a rejection. */
    REFUSED,
    /** {@code lost connection with H[A] while ...}. */
    LOST_CONNECTION
  }

  /**
   * A receiving server as Postfix names it.
   *
   * @param port 0 when the line gives none
   */
  public record Receiver(String host, Optional<InetAddress> address, int port) {
    public Optional<Family> family() {
      return address.map(Family::of);
    }

    /** {@code host[addr]} as Postfix writes it. */
    public String display() {
      return host + "[" + address.map(org.ptrguard.net.Addresses::text).orElse("") + "]";
    }
  }

  /**
   * What a receiver answered.
   *
   * @param code the SMTP reply code (550), 0 when the text starts without one
   * @param enhancedCode the RFC 3463 code in the text (5.7.25), if any
   * @param text the whole reply, continuation lines joined as Postfix joins them; capped and escaped
   * @param inReplyTo the SMTP command it answered ({@code RCPT TO}), if Postfix said
   * @param sendingAddress the first bracketed address literal in the text: receivers that name the
   *     client address ({@code cannot find your hostname, [203.0.113.5]}) tell which source
   *     address they saw
   */
  public record Reply(int code, Optional<String> enhancedCode, String text, Optional<String> inReplyTo,
      Optional<InetAddress> sendingAddress) {
    public boolean permanent() {
      return code >= 500;
    }
  }

  /** The receiver's address family, when the line names its address. */
  public Optional<Family> family() {
    return receiver.flatMap(Receiver::family);
  }

  /** The enhanced status code: Postfix's {@code dsn=} field, else the one in the reply text. */
  public Optional<String> statusCode() {
    return dsn.or(() -> reply.flatMap(Reply::enhancedCode));
  }
}
