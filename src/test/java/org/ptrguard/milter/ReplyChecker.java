package org.ptrguard.milter;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.ptrguard.testing.MilterTestClient.Reply;

/**
 * Reads what a milter wrote the way the MTA does: command by command, in order, each command that
 * waits for an answer takes the next reply frame. Which replies are legal follows the protocol:
 * OPTNEG gets 'O' with nothing the MTA did not offer; an event gets one of c, a, r, t, y, d (no d
 * before a message exists), nothing if negotiated as no-reply; end of message gets negotiated
 * modifications or progress, then one final reply; MACRO, ABORT, QUIT and QUIT_NC get nothing.
 * The negotiated flags are taken from the 'O' frame on the wire, not from the session.
 */
final class ReplyChecker {
  private static final Set<Character> FINAL = Set.of('c', 'a', 'r', 't', 'y', 'd');

  private boolean negotiated;
  private int protocol;
  private int actions;
  private boolean connectSeen;

  /**
   * @param fed frames (command byte + payload) in the order the session received them
   * @param replies every frame the session wrote
   * @param open whether the connection is still open
   * @param log what the session logged
   */
  void check(List<byte[]> fed, List<Reply> replies, boolean open, String log) {
    int r = 0;
    for (byte[] frame : fed) {
      MilterCommand command = MilterCommandDecoder.decode(Unpooled.wrappedBuffer(frame));
      if (mustClose(command)) {
        assertThat(open).as("connection left open after %s", command).isFalse();
        assertThat(r).as("replies after %s", command).isEqualTo(replies.size());
        return;
      }
      int before = r;
      r = answer(command, replies, r);
      if (r < 0) {
        // The answer is missing: only acceptable when the session has given up on the connection.
        assertClosedWithReason(open, log, command);
        assertThat(before).as("replies after the unanswered %s", command).isEqualTo(replies.size());
        return;
      }
    }
    assertThat(r).as("replies nobody asked for: %s", replies.subList(Math.min(r, replies.size()), replies.size()))
        .isEqualTo(replies.size());
    if (!open) {
      assertThat(log).as("connection closed without a reason in the log")
          .containsAnyOf("event=milter-protocol-error", "event=milter-handler-error stage=new-session");
    }
  }

  private static void assertClosedWithReason(boolean open, String log, MilterCommand command) {
    assertThat(open).as("no reply to %s, yet the connection is open (the MTA would hang)", command).isFalse();
    assertThat(log).as("connection closed without a reason in the log")
        .contains("event=milter-protocol-error");
  }

  /** Commands after which the session must close without answering. */
  private boolean mustClose(MilterCommand command) {
    if (command instanceof MilterCommand.Malformed || command instanceof MilterCommand.Quit) {
      return true;
    }
    if (!negotiated) {
      return !(command instanceof MilterCommand.OptionNegotiation o) || o.version() < MilterProtocol.MIN_VERSION;
    }
    if (command instanceof MilterCommand.OptionNegotiation o) {
      return connectSeen || o.version() < MilterProtocol.MIN_VERSION;
    }
    return false;
  }

  /** Consumes the replies to one command; returns the next index, or -1 if a needed reply is missing. */
  private int answer(MilterCommand command, List<Reply> replies, int r) {
    if (command instanceof MilterCommand.OptionNegotiation o) {
      if (r >= replies.size()) {
        return -1;
      }
      checkNegotiation(o, replies.get(r));
      return r + 1;
    }
    if (command instanceof MilterCommand.Macro || command instanceof MilterCommand.Abort) {
      return r;
    }
    if (command instanceof MilterCommand.QuitNewConnection) {
      connectSeen = false;
      return r;
    }
    if (command instanceof MilterCommand.EndOfMessage) {
      return endOfMessage(replies, r);
    }
    MilterEvent event = event(command);
    if (event == MilterEvent.CONNECT) {
      connectSeen = true;
    }
    if ((protocol & event.noReplyFlag()) != 0) {
      return r;
    }
    if (r >= replies.size()) {
      return -1;
    }
    Reply reply = replies.get(r);
    checkFinal(reply, event + " reply");
    if (event == MilterEvent.CONNECT || event == MilterEvent.HELO) {
      assertThat(reply.code()).as("DISCARD before a message exists").isNotEqualTo('d');
    }
    return r + 1;
  }

  private int endOfMessage(List<Reply> replies, int r) {
    while (r < replies.size()) {
      Reply reply = replies.get(r++);
      switch (reply.code()) {
        case 'h', 'i' -> assertThat(actions & MilterAction.ADD_HEADERS.bit()).as("header change not negotiated").isNotZero();
        case 'q' -> assertThat(actions & MilterAction.QUARANTINE.bit()).as("quarantine not negotiated").isNotZero();
        case 'p' -> { }
        default -> {
          checkFinal(reply, "end-of-message reply");
          return r;
        }
      }
    }
    return -1;
  }

  private void checkNegotiation(MilterCommand.OptionNegotiation offer, Reply reply) {
    assertThat(reply.code()).as("reply to OPTNEG").isEqualTo('O');
    assertThat(reply.payload().length).as("OPTNEG reply size").isGreaterThanOrEqualTo(12);
    int version = reply.intAt(0);
    assertThat(version).isEqualTo(Math.min(MilterProtocol.VERSION, offer.version()));
    actions = reply.intAt(4);
    protocol = reply.intAt(8);
    assertThat(actions & ~offer.actions()).as("actions the MTA did not offer").isZero();
    assertThat(protocol & ~offer.protocol()).as("protocol flags the MTA did not offer").isZero();
    if (reply.payload().length > 12) {
      assertThat(version).as("macro lists need version 6").isEqualTo(6);
      assertThat(actions & MilterAction.SET_SYMBOL_LIST.bit()).isNotZero();
    }
    negotiated = true;
  }

  private static void checkFinal(Reply reply, String what) {
    assertThat(FINAL).as(what).contains(reply.code());
    if (reply.code() == 'y') {
      checkReplyCodeText(reply.payload());
    } else {
      assertThat(reply.payload()).as("%s payload", what).isEmpty();
    }
  }

  /** A NUL-terminated SMTP reply, '%' doubled, that a MilterReply would accept un-doubled. */
  static void checkReplyCodeText(byte[] payload) {
    assertThat(payload).isNotEmpty();
    assertThat(payload[payload.length - 1]).as("REPLYCODE ends with NUL").isZero();
    String wire = new String(Arrays.copyOf(payload, payload.length - 1), StandardCharsets.US_ASCII);
    assertThat(wire).doesNotContain("\0");
    assertThat(wire.replace("%%", "")).as("every %% doubled").doesNotContain("%");
    assertThat(wire).matches("(?s)[45][0-9][0-9][ -].*");
    MilterReply.replyCode(wire.replace("%%", "%"));
  }

  private static MilterEvent event(MilterCommand command) {
    if (command instanceof MilterCommand.Connect) {
      return MilterEvent.CONNECT;
    } else if (command instanceof MilterCommand.Helo) {
      return MilterEvent.HELO;
    } else if (command instanceof MilterCommand.Mail) {
      return MilterEvent.MAIL;
    } else if (command instanceof MilterCommand.Rcpt) {
      return MilterEvent.RCPT;
    } else if (command instanceof MilterCommand.Data) {
      return MilterEvent.DATA;
    } else if (command instanceof MilterCommand.Header) {
      return MilterEvent.HEADER;
    } else if (command instanceof MilterCommand.EndOfHeaders) {
      return MilterEvent.END_OF_HEADERS;
    } else if (command instanceof MilterCommand.Body) {
      return MilterEvent.BODY;
    } else if (command instanceof MilterCommand.Unknown) {
      return MilterEvent.UNKNOWN;
    }
    throw new AssertionError("not an event: " + command);
  }
}
