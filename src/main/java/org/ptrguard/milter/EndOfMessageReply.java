package org.ptrguard.milter;

import java.util.List;
import java.util.Objects;

/** The answer to end of message: modifications first, then the final reply. */
public record EndOfMessageReply(List<Modification> modifications, MilterReply finalReply) {
  public EndOfMessageReply {
    modifications = List.copyOf(modifications);
    Objects.requireNonNull(finalReply, "finalReply");
  }

  public static EndOfMessageReply of(MilterReply finalReply) {
    return new EndOfMessageReply(List.of(), finalReply);
  }

  public static EndOfMessageReply of(MilterReply finalReply, Modification... modifications) {
    return new EndOfMessageReply(List.of(modifications), finalReply);
  }
}
