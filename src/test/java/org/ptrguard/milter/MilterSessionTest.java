package org.ptrguard.milter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.ptrguard.testing.Frames.concat;
import static org.ptrguard.testing.Frames.connect;
import static org.ptrguard.testing.Frames.frame;
import static org.ptrguard.testing.Frames.hex;
import static org.ptrguard.testing.Frames.macro;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.ptrguard.testing.Frames;
import org.ptrguard.testing.MilterTestClient.Reply;

/**
 * Codec and session state machine, fed with byte sequences as Postfix sends them, on an
 * EmbeddedChannel with the real pipeline.
 */
class MilterSessionTest {
  /** Postfix's OPTNEG offer as captured on the wire: version 6, actions 0x1FF, protocol 0x1FFFFF. */
  static final byte[] POSTFIX_OPTNEG = hex("0000000d 4f 00000006 000001ff 001fffff");

  private static EmbeddedChannel open(RecordingFactory f) {
    return open(f, MilterServerOptions.defaults());
  }

  private static EmbeddedChannel open(RecordingFactory f, MilterServerOptions options) {
    return new EmbeddedChannel(new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel ch) {
        MilterServer.configure(ch.pipeline(), options, f, f.needs(), new SessionInfo(7, ch.remoteAddress(), ch.localAddress()), new MilterStats());
      }
    });
  }

  private static List<Reply> feed(EmbeddedChannel ch, byte[]... frames) {
    ch.writeInbound(Unpooled.wrappedBuffer(concat(frames)));
    ch.runPendingTasks();
    return output(ch);
  }

  private static List<Reply> output(EmbeddedChannel ch) {
    ByteBuf all = Unpooled.buffer();
    for (Object o = ch.readOutbound(); o != null; o = ch.readOutbound()) {
      ByteBuf b = (ByteBuf) o;
      all.writeBytes(b);
      b.release();
    }
    return Frames.replies(all);
  }

  private static String codes(List<Reply> replies) {
    StringBuilder s = new StringBuilder();
    replies.forEach(r -> s.append(r.code()));
    return s.toString();
  }

  private static EmbeddedChannel negotiated(RecordingFactory f) {
    EmbeddedChannel ch = open(f);
    assertThat(codes(feed(ch, POSTFIX_OPTNEG))).isEqualTo("O");
    return ch;
  }

  // ---- negotiation

  @Test
  void postfixOfferWithDefaultNeedsAsksForNothingToBeSkippedAndRequestsMacroLists() {
    EmbeddedChannel ch = open(new RecordingFactory());
    List<Reply> r = feed(ch, POSTFIX_OPTNEG);
    assertThat(r).hasSize(1);
    Reply o = r.get(0);
    assertThat(o.code()).isEqualTo('O');
    assertThat(o.intAt(0)).isEqualTo(6);
    assertThat(o.intAt(4)).isEqualTo(MilterAction.SET_SYMBOL_LIST.bit());
    assertThat(o.intAt(8)).isZero();
    // u32 stage + names NUL, per stage: CONNECT (0) then MAIL (2)
    byte[] p = o.payload();
    assertThat(java.nio.ByteBuffer.wrap(p, 12, 4).getInt()).isZero();
    assertThat(o.strings(16).get(0)).isEqualTo("j {daemon_name} {daemon_addr} {client_addr} {client_name} {client_ptr} {client_resolve}");
    int next = 16 + o.strings(16).get(0).length() + 1;
    assertThat(java.nio.ByteBuffer.wrap(p, next, 4).getInt()).isEqualTo(2);
    assertThat(o.strings(next + 4)).containsExactly("{auth_authen} i");
  }

  @Test
  void unwantedEventsAreNegotiatedAwayAndNoReplyEventsGetNrFlags() {
    ProtocolNeeds needs = ProtocolNeeds.builder()
        .events(MilterEvent.CONNECT, MilterEvent.HELO, MilterEvent.MAIL, MilterEvent.HEADER)
        .noReply(MilterEvent.HEADER)
        .actions(MilterAction.ADD_HEADERS, MilterAction.QUARANTINE)
        .build();
    EmbeddedChannel ch = open(new RecordingFactory(needs));
    Reply o = feed(ch, POSTFIX_OPTNEG).get(0);
    int expected = MilterProtocol.SMFIP_NORCPT | MilterProtocol.SMFIP_NODATA | MilterProtocol.SMFIP_NOEOH
        | MilterProtocol.SMFIP_NOBODY | MilterProtocol.SMFIP_NOUNKNOWN | MilterProtocol.SMFIP_NR_HDR;
    assertThat(o.intAt(8)).isEqualTo(expected);
    assertThat(o.intAt(4)).isEqualTo(0x1 | 0x20 | 0x100);
  }

  @Test
  void onlyOfferedFlagsAndActionsAreRequested() {
    ProtocolNeeds needs = ProtocolNeeds.builder()
        .events(MilterEvent.CONNECT).noReply(MilterEvent.CONNECT)
        .actions(MilterAction.ADD_HEADERS, MilterAction.QUARANTINE).build();
    EmbeddedChannel ch = open(new RecordingFactory(needs));
    // Version 4 MTA offering ADDHDRS only and the classic NO* bits (0x7f), no NR bits, no NODATA.
    Reply o = feed(ch, frame('O', hex("00000004 00000001 0000007f"))).get(0);
    assertThat(o.intAt(0)).isEqualTo(4);
    assertThat(o.intAt(4)).isEqualTo(0x1);
    assertThat(o.intAt(8)).isEqualTo(0x7f & ~MilterProtocol.SMFIP_NOCONNECT);
    assertThat(o.payload()).hasSize(12); // no macro lists below version 6
  }

  @Test
  void newerMtaVersionIsAnsweredWithSixAndTooOldVersionClosesWithoutReply() {
    EmbeddedChannel ch = open(new RecordingFactory());
    assertThat(feed(ch, frame('O', hex("00000007 000001ff 001fffff"))).get(0).intAt(0)).isEqualTo(6);
    EmbeddedChannel old = open(new RecordingFactory());
    assertThat(feed(old, frame('O', hex("00000001 000001ff 0000007f")))).isEmpty();
    assertThat(old.isOpen()).isFalse();
  }

  @Test
  void eventBeforeOptnegClosesTheConnection() {
    EmbeddedChannel ch = open(new RecordingFactory());
    assertThat(feed(ch, frame('H', "mx.example"))).isEmpty();
    assertThat(ch.isOpen()).isFalse();
  }

  // ---- a whole Postfix session

  @Test
  void postfixSessionWithMacrosBeforeEveryEventGetsExactlyOneReplyPerEvent() {
    RecordingFactory f = new RecordingFactory();
    EmbeddedChannel ch = negotiated(f);
    List<Reply> r = feed(ch,
        macro('C', "j", "mx.example.net", "{daemon_name}", "mx.example.net", "v", "Postfix 3.7.11"),
        connect("client.example.org", '4', 41234, "192.0.2.10"),
        macro('H'),                               // empty macro list: nothing applies
        frame('H', "client.example.org"),
        macro('M', "i", "", "{auth_authen}", "alice"),
        frame('M', "<alice@example.org>", "SIZE=123", "BODY=8BITMIME"),
        macro('R', "{rcpt_addr}", "bob@example.com"),
        frame('R', "<bob@example.com>"),
        macro('T', "i", "4XyZ1"),
        frame('T', new byte[0]),
        macro('L'),                               // Postfix sends macros for headers too (no stage): ignored
        frame('L', "Subject", " hi"),
        frame('L', "From", " alice@example.org"),
        macro('N', "i", "4XyZ1"),
        frame('N', new byte[0]),
        frame('B', "Hello\r\n".getBytes(StandardCharsets.US_ASCII)),
        macro('E', "i", "4XyZ1"),
        frame('E', new byte[0]));
    assertThat(codes(r)).isEqualTo("cccccccccc");
    assertThat(f.calls).containsExactly("session 1",
        "connect client.example.org INET 41234 192.0.2.10 raw=192.0.2.10",
        "helo client.example.org",
        "mail [<alice@example.org>, SIZE=123, BODY=8BITMIME]",
        "rcpt [<bob@example.com>]",
        "data", "header Subject:  hi", "header From:  alice@example.org", "eoh", "body 7", "eom");
  }

  @Test
  void macrosForEventsNegotiatedAwayAreAcceptedSilently() {
    RecordingFactory f = new RecordingFactory(ProtocolNeeds.builder().events(MilterEvent.HELO).build());
    EmbeddedChannel ch = negotiated(f);
    List<Reply> r = feed(ch,
        macro('C', "j", "mx"),                    // CONNECT is suppressed, its macros still come
        macro('H', "{tls_version}", "TLSv1.3"),
        frame('H', "client.example.org"),
        macro('M', "i", ""),
        macro('R', "i", ""),
        macro('E', "i", "Q1"),
        frame('E', new byte[0]));
    assertThat(codes(r)).isEqualTo("cc");
    assertThat(f.calls).containsExactly("session 1", "helo client.example.org", "eom");
  }

  @Test
  void unknownMacroStageIsIgnoredAndNeverAnswered() {
    RecordingFactory f = new RecordingFactory();
    EmbeddedChannel ch = negotiated(f);
    assertThat(feed(ch, macro('Z', "x", "y"), macro('C'))).isEmpty();
    assertThat(ch.isOpen()).isTrue();
  }

  @Test
  void doubleAbortAbortAfterEobAndSeveralMessagesOnOneConnection() {
    RecordingFactory f = new RecordingFactory();
    EmbeddedChannel ch = negotiated(f);
    List<Reply> r = feed(ch,
        connect("c.example", '4', 25, "192.0.2.1"), frame('H', "c.example"),
        frame('M', "<a@example.org>"), frame('R', "<b@example.com>"), frame('T', new byte[0]),
        frame('N', new byte[0]), frame('E', new byte[0]),
        frame('A', new byte[0]), frame('A', new byte[0]),   // after EOB, twice
        frame('M', "<c@example.org>"), frame('A', new byte[0]),            // RSET
        frame('M', "<d@example.org>"), frame('R', "<e@example.com>"), frame('T', new byte[0]),
        frame('E', new byte[0]), frame('A', new byte[0]), frame('Q', new byte[0]));
    assertThat(codes(r)).isEqualTo("c".repeat(12)); // 7 events, then 1 (RSET), then 4; no reply to ABORT or QUIT
    assertThat(f.calls).containsSubsequence("eom", "abort", "abort", "mail [<c@example.org>]", "abort",
        "mail [<d@example.org>]", "eom", "abort", "closed 1");
    assertThat(ch.isOpen()).isFalse();
  }

  // ---- CONNECT families

  @Test
  void connectFamiliesAndIpv6WithAndWithoutPrefix() {
    RecordingFactory f = new RecordingFactory();
    EmbeddedChannel ch = negotiated(f);
    feed(ch,
        connect("[2001:db8::1]", '6', 587, "2001:db8::1"),
        frame('K', new byte[0]),
        connect("sendmail.example", '6', 25, "IPv6:2001:DB8:0:0:0:0:0:2"),
        frame('K', new byte[0]),
        connect("lower.example", '6', 25, "ipv6:2001:db8::3"),
        frame('K', new byte[0]),
        connect("unknown", 'U', 0, ""),
        frame('K', new byte[0]),
        connect("localhost", 'L', 0, "/var/run/x.sock"),
        frame('K', new byte[0]),
        connect("bad", '6', 25, "not-an-address"));
    assertThat(f.calls).contains(
        "connect [2001:db8::1] INET6 587 2001:db8:0:0:0:0:0:1 raw=2001:db8::1",
        "connect sendmail.example INET6 25 2001:db8:0:0:0:0:0:2 raw=IPv6:2001:DB8:0:0:0:0:0:2",
        "connect lower.example INET6 25 2001:db8:0:0:0:0:0:3 raw=ipv6:2001:db8::3",
        "connect unknown UNKNOWN 0 - raw=",
        "connect localhost UNIX 0 - raw=/var/run/x.sock",
        "connect bad INET6 25 - raw=not-an-address");
    assertThat(ch.isOpen()).isTrue();
  }

  // ---- macros

  @Test
  void macroLookupTreatsJAndBracedJAlikeAndPrefersTheNewestStage() {
    RecordingFactory f = new RecordingFactory();
    List<String> seen = new ArrayList<>();
    f.observer = (stage, ctx) -> seen.add(stage + ":" + ctx.macro("j").orElse("-") + "," + ctx.macro("{j}").orElse("-")
        + "," + ctx.macro("i").orElse("-") + "," + ctx.macro("{x}").orElse("-"));
    EmbeddedChannel ch = negotiated(f);
    feed(ch,
        macro('C', "{j}", "mx.example", "x", "from-connect"), connect("c", '4', 1, "192.0.2.1"),
        macro('M', "i", "Q1", "x", "from-mail"), frame('M', "<a@b>"),
        macro('H', "x", "from-helo"), frame('H', "again"),     // new HELO clears MAIL's macros
        frame('A', new byte[0]));
    assertThat(seen).containsExactly(
        "connect:mx.example,mx.example,-,from-connect",
        "mail:mx.example,mx.example,Q1,from-mail",
        "helo:mx.example,mx.example,-,from-helo",
        "abort:mx.example,mx.example,-,from-helo");
  }

  @Test
  void tooManyMacrosInOneStageOrTooManyMacroBytesClose() {
    RecordingFactory f = new RecordingFactory();
    EmbeddedChannel ch = open(f, MilterServerOptions.defaults().withMacroLimits(2, 1000));
    feed(ch, POSTFIX_OPTNEG);
    assertThat(feed(ch, macro('C', "a", "1", "b", "2", "c", "3"))).isEmpty();
    assertThat(ch.isOpen()).isFalse();

    EmbeddedChannel ch2 = open(f, MilterServerOptions.defaults().withMacroLimits(10, 40));
    feed(ch2, POSTFIX_OPTNEG);
    feed(ch2, macro('C', "a", "x".repeat(20)));
    assertThat(ch2.isOpen()).isTrue();
    feed(ch2, macro('H', "b", "y".repeat(20)));
    assertThat(ch2.isOpen()).isFalse();
  }

  // ---- malformed input

  @Test
  void zeroLengthFrameClosesWithoutReply() {
    EmbeddedChannel ch = negotiated(new RecordingFactory());
    assertThat(feed(ch, hex("00000000"), frame('H', "x"))).isEmpty();
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void oversizeFrameClosesBeforeBuffering() {
    EmbeddedChannel ch = open(new RecordingFactory(), MilterServerOptions.defaults().withMaxFrameBytes(1024));
    feed(ch, POSTFIX_OPTNEG);
    // Only the header of a 2 MB frame arrives: it must be refused at once, not awaited.
    assertThat(feed(ch, hex("00200000 42"))).isEmpty();
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void negativeLengthIsRefused() {
    EmbeddedChannel ch = negotiated(new RecordingFactory());
    assertThat(feed(ch, hex("ffffffff 42"))).isEmpty();
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void malformedPayloadsClose() {
    List<byte[]> bad = List.of(
        frame('H', "no-nul".getBytes(StandardCharsets.US_ASCII)),          // missing NUL
        frame('O', hex("00000006 000001ff")),                              // truncated ints
        frame('D', hex("43 6a00")),                                        // odd macro list: name without value
        frame('D', new byte[0]),                                           // no stage byte
        frame('C', hex("6800 34 00")),                                     // truncated port
        frame('C', hex("6800 58 0019 31323700")),                          // unknown family 'X'
        frame('C', hex("6800")),                                           // no family
        frame('M', new byte[0]),                                           // MAIL without address
        frame('L', "Subject"),                                             // header without value
        frame('X', new byte[0]),                                           // unknown command
        frame((char) 0x01, new byte[0]));                                  // unknown control byte
    for (byte[] b : bad) {
      RecordingFactory f = new RecordingFactory();
      EmbeddedChannel ch = negotiated(f);
      assertThat(feed(ch, b, frame('H', "after"))).as(Frames.toHex(b)).isEmpty();
      assertThat(ch.isOpen()).as(Frames.toHex(b)).isFalse();
      assertThat(f.calls).as(Frames.toHex(b)).doesNotContain("helo after").contains("closed 1");
    }
  }

  @Test
  void truncatedFrameWaitsForTheRest() {
    RecordingFactory f = new RecordingFactory();
    EmbeddedChannel ch = negotiated(f);
    byte[] helo = frame('H', "client.example.org");
    assertThat(feed(ch, java.util.Arrays.copyOf(helo, 9))).isEmpty();
    assertThat(ch.isOpen()).isTrue();
    assertThat(codes(feed(ch, java.util.Arrays.copyOfRange(helo, 9, helo.length)))).isEqualTo("c");
  }

  // ---- replies and state

  @Test
  void handlerExceptionFailedStageAndNullAllBecomeTempfail() {
    RecordingFactory f = new RecordingFactory();
    f.replies = stage -> switch (stage) {
      case "connect" -> throw new IllegalStateException("boom");
      case "helo" -> CompletableFuture.failedFuture(new RuntimeException("dns down"));
      case "mail" -> null;
      default -> MilterHandler.CONTINUE;
    };
    f.endOfMessage = () -> { throw new IllegalStateException("eom boom"); };
    EmbeddedChannel ch = negotiated(f);
    List<Reply> r = feed(ch, connect("c", '4', 1, "192.0.2.1"), frame('H', "h"), frame('M', "<a@b>"),
        frame('R', "<c@d>"), frame('E', new byte[0]));
    assertThat(codes(r)).isEqualTo("tttct");
    assertThat(ch.isOpen()).isTrue();
  }

  @Test
  void noReplyStageGetsNoReplyEvenWhenTheHandlerAnswersSomething() {
    RecordingFactory f = new RecordingFactory(ProtocolNeeds.builder().noReply(MilterEvent.HEADER, MilterEvent.CONNECT).build());
    f.replyAt("header", MilterReply.REJECT);
    EmbeddedChannel ch = negotiated(f);
    List<Reply> r = feed(ch, connect("c", '4', 1, "192.0.2.1"), frame('M', "<a@b>"), frame('L', "A", "1"),
        frame('L', "B", "2"), frame('N', new byte[0]), frame('E', new byte[0]));
    assertThat(codes(r)).isEqualTo("ccc");
    assertThat(f.calls).contains("header A: 1", "header B: 2");
  }

  @Test
  void pendingStageQueuesLaterFramesAndRepliesInOrder() {
    RecordingFactory f = new RecordingFactory();
    CompletableFuture<MilterReply> helo = new CompletableFuture<>();
    f.replies = stage -> stage.equals("helo") ? helo : MilterHandler.CONTINUE;
    EmbeddedChannel ch = negotiated(f);
    List<Reply> r = feed(ch, connect("c", '4', 1, "192.0.2.1"), frame('H', "h"), macro('M', "i", "Q"),
        frame('M', "<a@b>"));
    assertThat(codes(r)).isEqualTo("c");
    assertThat(f.calls).doesNotContain("mail [<a@b>]");
    assertThat(ch.config().isAutoRead()).isFalse();
    helo.complete(MilterReply.replyCode("451 4.7.1 later"));
    ch.runPendingTasks();
    r = output(ch);
    assertThat(codes(r)).isEqualTo("yc");
    assertThat(r.get(0).text()).isEqualTo("451 4.7.1 later");
    assertThat(f.calls).contains("mail [<a@b>]");
    assertThat(ch.config().isAutoRead()).isTrue();
  }

  @Test
  void queueBehindAPendingStageIsBounded() {
    RecordingFactory f = new RecordingFactory();
    f.replies = stage -> stage.equals("helo") ? new CompletableFuture<>() : MilterHandler.CONTINUE;
    EmbeddedChannel ch = negotiated(f);
    feed(ch, frame('H', "h"));
    byte[][] flood = new byte[MilterSession.MAX_QUEUED_FRAMES][];
    java.util.Arrays.fill(flood, macro('M', "i", "x"));
    feed(ch, flood);
    assertThat(ch.isOpen()).isTrue();
    feed(ch, macro('M', "i", "one too many"));
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void replyCodeIsSentByteExactWithPercentDoubled() {
    RecordingFactory f = new RecordingFactory()
        .replyAt("mail", MilterReply.replyCode("451-4.7.25 first 100%\r\n451 4.7.25 second"));
    EmbeddedChannel ch = negotiated(f);
    List<Reply> r = feed(ch, frame('M', "<a@b>"));
    assertThat(r).hasSize(1);
    assertThat(r.get(0).code()).isEqualTo('y');
    assertThat(r.get(0).payload()).isEqualTo("451-4.7.25 first 100%%\r\n451 4.7.25 second\0".getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void discardAtHeloIsReplacedByTempfail() {
    EmbeddedChannel ch = negotiated(new RecordingFactory().replyAt("helo", MilterReply.DISCARD));
    assertThat(codes(feed(ch, frame('H', "h")))).isEqualTo("t");
  }

  @Test
  void modificationsAreSentOnlyWhenNegotiatedAndBeforeTheFinalReply() {
    ProtocolNeeds needs = ProtocolNeeds.builder().actions(MilterAction.ADD_HEADERS).build();
    RecordingFactory f = new RecordingFactory(needs);
    f.endOfMessage = () -> CompletableFuture.completedFuture(EndOfMessageReply.of(MilterReply.ACCEPT,
        Modification.addHeader("X-PTRGuard", "pass"), Modification.insertHeader(0, "X-First", "1"),
        Modification.quarantine("not negotiated")));
    EmbeddedChannel ch = negotiated(f);
    List<Reply> r = feed(ch, frame('M', "<a@b>"), frame('E', new byte[0]));
    assertThat(codes(r)).isEqualTo("chia");
    assertThat(r.get(1).strings(0)).containsExactly("X-PTRGuard", "pass");
    assertThat(r.get(2).intAt(0)).isZero();
    assertThat(r.get(2).strings(4)).containsExactly("X-First", "1");
  }

  @Test
  void quarantineIsSentWhenNegotiated() {
    RecordingFactory f = new RecordingFactory(ProtocolNeeds.builder().actions(MilterAction.QUARANTINE).build());
    f.endOfMessage = () -> CompletableFuture.completedFuture(
        EndOfMessageReply.of(MilterReply.CONTINUE, Modification.quarantine("ptrguard: identity broken")));
    EmbeddedChannel ch = negotiated(f);
    List<Reply> r = feed(ch, frame('E', new byte[0]));
    assertThat(codes(r)).isEqualTo("qc");
    assertThat(r.get(0).text()).isEqualTo("ptrguard: identity broken");
  }

  @Test
  void quitClosesAndQuitNcResetsToBeforeConnect() {
    RecordingFactory f = new RecordingFactory();
    List<String> seen = new ArrayList<>();
    f.observer = (stage, ctx) -> seen.add(stage + ":" + ctx.connectInfo().map(ConnectInfo::hostname).orElse("-")
        + "," + ctx.macro("j").orElse("-"));
    EmbeddedChannel ch = negotiated(f);
    feed(ch, macro('C', "j", "mx"), connect("one", '4', 1, "192.0.2.1"), frame('K', new byte[0]),
        frame('H', "no-connect-yet"), macro('C'), connect("two", '4', 2, "192.0.2.2"));
    assertThat(seen).containsExactly("connect:one,mx", "helo:-,-", "connect:two,-");
    assertThat(f.calls).containsSubsequence("session 1", "closed 1", "session 2");
    assertThat(ch.isOpen()).isTrue();
    feed(ch, frame('Q', new byte[0]));
    assertThat(ch.isOpen()).isFalse();
    assertThat(f.calls).endsWith("closed 2");
  }

  @Test
  void rejectAtConnectThenPeerCloseIsQuiet() {
    RecordingFactory f = new RecordingFactory().replyAt("connect", MilterReply.REJECT);
    EmbeddedChannel ch = negotiated(f);
    assertThat(codes(feed(ch, connect("c", '4', 1, "192.0.2.1")))).isEqualTo("r");
    ch.pipeline().fireExceptionCaught(new java.io.IOException("Connection reset by peer"));
    ch.close();
    ch.checkException();
    assertThat(f.calls).endsWith("closed 1");
  }

  @Test
  void lastBodyChunkInsideEobIsDeliveredBeforeEndOfMessage() {
    RecordingFactory f = new RecordingFactory();
    EmbeddedChannel ch = negotiated(f);
    assertThat(codes(feed(ch, frame('E', "tail".getBytes(StandardCharsets.US_ASCII))))).isEqualTo("c");
    assertThat(f.calls).containsSubsequence("body 4", "eom");
  }

  @Test
  void unknownSmtpCommandIsDelivered() {
    RecordingFactory f = new RecordingFactory().replyAt("unknown", MilterReply.REJECT);
    EmbeddedChannel ch = negotiated(f);
    assertThat(codes(feed(ch, frame('U', "XYZZY arg")))).isEqualTo("r");
    assertThat(f.calls).contains("unknown XYZZY arg");
  }

  static Map<String, String> unused() {
    return Map.of();
  }
}
