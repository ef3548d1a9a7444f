package org.ptrguard.milter;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The outcome of OPTNEG: what we answer, given what the MTA offers and what the handlers need.
 * Version min(6, MTA's); actions = needed ∩ offered; NO* flags for unwanted events the MTA lets us
 * skip; NR_* flags for no-reply events the MTA offers; macro lists only when the MTA can take them.
 */
record Negotiation(
    int version,
    int actions,
    int protocol,
    Map<MacroStage, List<String>> macroLists,
    List<String> warnings) {

  /** Refusal: the MTA's version is too old to talk to. */
  static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    Refused(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The last outcome and its reply frame. An MTA makes the same offer on every connection and the
   * needs rarely change, so each connection would otherwise rebuild identical bytes (JFR: 7% of the
   * memory allocated per milter session).
   */
  private record Memo(MilterCommand.OptionNegotiation offer, ProtocolNeeds needs, Negotiation result,
      OutboundFrame reply) {}

  private static final AtomicReference<Memo> LAST = new AtomicReference<>();

  static Negotiation negotiate(MilterCommand.OptionNegotiation offer, ProtocolNeeds needs) throws Refused {
    Memo memo = LAST.get();
    if (memo != null && memo.needs() == needs && memo.offer().equals(offer)) {
      return memo.result();
    }
    Negotiation result = compute(offer, needs);
    LAST.set(new Memo(offer, needs, result, result.buildReply()));
    return result;
  }

  private static Negotiation compute(MilterCommand.OptionNegotiation offer, ProtocolNeeds needs) throws Refused {
    if (offer.version() < MilterProtocol.MIN_VERSION) {
      throw new Refused("MTA protocol version " + offer.version() + " is older than " + MilterProtocol.MIN_VERSION);
    }
    int version = Math.min(MilterProtocol.VERSION, offer.version());
    List<String> warnings = new ArrayList<>();
    int actions = 0;
    for (MilterAction a : needs.actions()) {
      if ((offer.actions() & a.bit()) != 0) {
        actions |= a.bit();
      } else {
        warnings.add("MTA does not offer action " + a + "; continuing without it");
      }
    }
    int protocol = 0;
    for (MilterEvent e : MilterEvent.values()) {
      if (!needs.events().contains(e)) {
        protocol |= offer.protocol() & e.notSentFlag();
      } else if (needs.noReply().contains(e)) {
        protocol |= offer.protocol() & e.noReplyFlag();
      }
    }
    Map<MacroStage, List<String>> lists = Map.of();
    boolean listsWanted = !needs.macros().isEmpty();
    boolean listsPossible = version >= 6 && (offer.actions() & MilterAction.SET_SYMBOL_LIST.bit()) != 0;
    if (listsWanted && listsPossible) {
      actions |= MilterAction.SET_SYMBOL_LIST.bit();
      lists = needs.macros();
    } else if (listsWanted) {
      warnings.add("MTA does not accept macro lists (version " + offer.version()
          + ", actions 0x" + Integer.toHexString(offer.actions()) + "); relying on its configured macros");
    }
    return new Negotiation(version, actions, protocol, lists, List.copyOf(warnings));
  }

  /** Whether the MTA waits for a reply to this event. */
  boolean expectsReply(MilterEvent event) {
    return (protocol & event.noReplyFlag()) == 0;
  }

  boolean allows(MilterAction action) {
    return (actions & action.bit()) != 0;
  }

  /** The OPTNEG reply frame (shared between connections that negotiated the same; never modified). */
  OutboundFrame reply() {
    Memo memo = LAST.get();
    return memo != null && memo.result() == this ? memo.reply() : buildReply();
  }

  /** Version, actions, protocol, then {@code u32 stage, "names"\0} per stage. */
  private OutboundFrame buildReply() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeInt(out, version);
    writeInt(out, actions);
    writeInt(out, protocol);
    macroLists.forEach((stage, names) -> {
      writeInt(out, stage.id());
      out.writeBytes(String.join(" ", names).getBytes(StandardCharsets.US_ASCII));
      out.write(0);
    });
    return new OutboundFrame(MilterProtocol.SMFIC_OPTNEG_REPLY, out.toByteArray());
  }

  private static void writeInt(ByteArrayOutputStream out, int v) {
    out.write(v >>> 24);
    out.write(v >>> 16);
    out.write(v >>> 8);
    out.write(v);
  }
}
