package org.ptrguard.identity;

import java.util.Optional;

/**
 * One published receiver rule: its own name, where it is published, when it fires and what follows.
 *
 * @param reply the receiver's reply text with {@code {ip}} and {@code {helo}} placeholders; empty when
 *     the receiver publishes none
 */
public record ReceiverRule(String name, String source, ReceiverCondition when, ReceiverOutcome outcome,
    Optional<String> reply, Optional<String> note) {

  /** The reply text as this identity would get it. */
  public Optional<String> replyFor(ReceiverFacts facts) {
    return reply.map(r -> r.replace("{ip}", facts.ip()).replace("{helo}", facts.helo()));
  }
}
