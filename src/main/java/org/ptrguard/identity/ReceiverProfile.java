package org.ptrguard.identity;

import java.util.List;

/**
 * One kind of receiver (Gmail, Postfix with its reject_* restrictions, SpamAssassin, ...).
 *
 * @param scoring whether it is a content filter whose spam-score rules add up
 */
public record ReceiverProfile(String id, String title, boolean scoring, List<ReceiverRule> rules) {
  public ReceiverProfile {
    rules = List.copyOf(rules);
  }
}
