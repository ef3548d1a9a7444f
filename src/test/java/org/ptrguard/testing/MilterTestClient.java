package org.ptrguard.testing;

import io.netty.channel.unix.DomainSocketAddress;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.ptrguard.milter.MilterEvent;
import org.ptrguard.milter.MilterProtocol;

/**
 * The MTA side of the milter protocol, for tests and load generation: connects over TCP or a unix
 * socket, negotiates like Postfix (version 6, actions 0x1FF, protocol 0x1FFFFF unless told
 * otherwise), sends macros and events, and decodes the replies. Frames are buffered and written in
 * one go when a reply is awaited (TCP_NODELAY is set), so a MACRO frame and its event share a packet.
 * Events negotiated away (NO*) are not sent; events negotiated as no-reply (NR_*) return empty.
 */
public final class MilterTestClient implements AutoCloseable {
  public static final int POSTFIX_VERSION = 6;
  public static final int POSTFIX_ACTIONS = 0x1FF;
  public static final int POSTFIX_PROTOCOL = 0x1FFFFF;

  /** One decoded milter-to-MTA frame. */
  public record Reply(char code, byte[] payload) {
    /** The payload up to the first NUL, as text (REPLYCODE, QUARANTINE). */
    public String text() {
      int end = 0;
      while (end < payload.length && payload[end] != 0) {
        end++;
      }
      return new String(payload, 0, end, StandardCharsets.UTF_8);
    }

    /** The NUL-terminated strings of the payload, starting at {@code offset}. */
    public List<String> strings(int offset) {
      List<String> out = new ArrayList<>();
      int start = offset;
      for (int i = offset; i < payload.length; i++) {
        if (payload[i] == 0) {
          out.add(new String(payload, start, i - start, StandardCharsets.UTF_8));
          start = i + 1;
        }
      }
      return out;
    }

    public int intAt(int offset) {
      return ByteBuffer.wrap(payload, offset, 4).getInt();
    }

    @Override
    public String toString() {
      return "Reply[" + code + " " + payload.length + " bytes " + text() + "]";
    }
  }

  /** What the milter answered to OPTNEG. */
  public record Negotiated(int version, int actions, int protocol, Map<Integer, String> macroLists) {
    public boolean sent(MilterEvent e) {
      return (protocol & e.notSentFlag()) == 0;
    }

    public boolean replies(MilterEvent e) {
      return (protocol & e.noReplyFlag()) == 0;
    }
  }

  /** Everything the milter sent for end of message. */
  public record EndOfMessage(List<Reply> modifications, int progress, Reply finalReply) {}

  private final SocketChannel channel;
  private final Selector selector;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private Duration timeout = Duration.ofSeconds(10);
  private Negotiated negotiated;

  private MilterTestClient(SocketChannel channel) throws IOException {
    this.channel = channel;
    channel.configureBlocking(false);
    this.selector = Selector.open();
  }

  /** TCP for InetSocketAddress, a unix socket for UnixDomainSocketAddress or Netty's DomainSocketAddress. */
  public static MilterTestClient connect(SocketAddress address) throws IOException {
    SocketChannel ch;
    if (address instanceof InetSocketAddress inet) {
      ch = SocketChannel.open(inet);
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
    } else if (address instanceof UnixDomainSocketAddress unix) {
      ch = SocketChannel.open(StandardProtocolFamily.UNIX);
      ch.connect(unix);
    } else if (address instanceof DomainSocketAddress domain) {
      ch = SocketChannel.open(StandardProtocolFamily.UNIX);
      ch.connect(UnixDomainSocketAddress.of(domain.path()));
    } else {
      throw new IllegalArgumentException("unsupported address " + address);
    }
    return new MilterTestClient(ch);
  }

  /** TCP from a chosen local address (e.g. 127.0.0.2, to be outside an allow-from list). */
  public static MilterTestClient connectFrom(InetSocketAddress address, java.net.InetAddress local) throws IOException {
    SocketChannel ch = SocketChannel.open();
    ch.bind(new InetSocketAddress(local, 0));
    ch.connect(address);
    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
    return new MilterTestClient(ch);
  }

  /**
   * Leaves Nagle's algorithm on, as Postfix does on its milter sockets: a small packet written while
   * an earlier one is unacknowledged then waits for that ACK, which is how Postfix behaves when it
   * sends events it expects no reply to. Only for TCP.
   */
  public MilterTestClient nagleLikePostfix() throws IOException {
    if (channel.getLocalAddress() instanceof InetSocketAddress) {
      channel.setOption(StandardSocketOptions.TCP_NODELAY, false);
    }
    return this;
  }

  public MilterTestClient timeout(Duration value) {
    this.timeout = value;
    return this;
  }

  public Negotiated negotiated() {
    return negotiated;
  }

  // ---- negotiation

  public Negotiated negotiate() throws IOException {
    return negotiate(POSTFIX_VERSION, POSTFIX_ACTIONS, POSTFIX_PROTOCOL);
  }

  public Negotiated negotiate(int version, int actions, int protocol) throws IOException {
    frame(MilterProtocol.SMFIC_OPTNEG, ints(version, actions, protocol));
    Reply r = readReply();
    if (r.code() != MilterProtocol.SMFIC_OPTNEG_REPLY || r.payload().length < 12) {
      throw new IOException("bad OPTNEG reply " + r);
    }
    Map<Integer, String> lists = new LinkedHashMap<>();
    int i = 12;
    byte[] p = r.payload();
    while (i + 4 < p.length) {
      int stage = ByteBuffer.wrap(p, i, 4).getInt();
      int end = i + 4;
      while (end < p.length && p[end] != 0) {
        end++;
      }
      lists.put(stage, new String(p, i + 4, end - i - 4, StandardCharsets.US_ASCII));
      i = end + 1;
    }
    negotiated = new Negotiated(r.intAt(0), r.intAt(4), r.intAt(8), lists);
    return negotiated;
  }

  // ---- commands

  /** MACRO frame for {@code target} (e.g. 'C'); {@code namesAndValues} alternate; zero pairs allowed. */
  public MilterTestClient macro(char target, String... namesAndValues) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(target);
    b.writeBytes(nulTerminated(namesAndValues));
    frame(MilterProtocol.SMFIC_MACRO, b.toByteArray());
    return this;
  }

  public Optional<Reply> connect(String host, char family, int port, String address) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(nulTerminated(host));
    b.write(family);
    if (family != 'U') {
      b.write(port >>> 8);
      b.write(port);
      b.writeBytes(nulTerminated(address));
    }
    return event(MilterEvent.CONNECT, MilterProtocol.SMFIC_CONNECT, b.toByteArray());
  }

  public Optional<Reply> helo(String name) throws IOException {
    return event(MilterEvent.HELO, MilterProtocol.SMFIC_HELO, nulTerminated(name));
  }

  public Optional<Reply> mail(String... argv) throws IOException {
    return event(MilterEvent.MAIL, MilterProtocol.SMFIC_MAIL, nulTerminated(argv));
  }

  public Optional<Reply> rcpt(String... argv) throws IOException {
    return event(MilterEvent.RCPT, MilterProtocol.SMFIC_RCPT, nulTerminated(argv));
  }

  public Optional<Reply> data() throws IOException {
    return event(MilterEvent.DATA, MilterProtocol.SMFIC_DATA, new byte[0]);
  }

  public Optional<Reply> header(String name, String value) throws IOException {
    return event(MilterEvent.HEADER, MilterProtocol.SMFIC_HEADER, nulTerminated(name, value));
  }

  public Optional<Reply> endOfHeaders() throws IOException {
    return event(MilterEvent.END_OF_HEADERS, MilterProtocol.SMFIC_EOH, new byte[0]);
  }

  public Optional<Reply> body(byte[] chunk) throws IOException {
    return event(MilterEvent.BODY, MilterProtocol.SMFIC_BODY, chunk);
  }

  public Optional<Reply> unknown(String command) throws IOException {
    return event(MilterEvent.UNKNOWN, MilterProtocol.SMFIC_UNKNOWN, nulTerminated(command));
  }

  /** Sends end of message and reads modifications and PROGRESS frames up to the final reply. */
  public EndOfMessage endOfMessage() throws IOException {
    frame(MilterProtocol.SMFIC_BODYEOB, new byte[0]);
    List<Reply> modifications = new ArrayList<>();
    int progress = 0;
    while (true) {
      Reply r = readReply();
      switch (r.code()) {
        case MilterProtocol.SMFIR_PROGRESS -> progress++;
        case MilterProtocol.SMFIR_ADDHEADER, MilterProtocol.SMFIR_INSHEADER, MilterProtocol.SMFIR_CHGHEADER,
            MilterProtocol.SMFIR_QUARANTINE, MilterProtocol.SMFIR_ADDRCPT, MilterProtocol.SMFIR_DELRCPT,
            MilterProtocol.SMFIR_REPLBODY, '2', 'e' -> modifications.add(r);
        default -> {
          return new EndOfMessage(modifications, progress, r);
        }
      }
    }
  }

  public void abort() throws IOException {
    frame(MilterProtocol.SMFIC_ABORT, new byte[0]);
  }

  public void quit() throws IOException {
    frame(MilterProtocol.SMFIC_QUIT, new byte[0]);
    flush();
  }

  public void quitNewConnection() throws IOException {
    frame(MilterProtocol.SMFIC_QUIT_NC, new byte[0]);
  }

  /** Sends an event unless negotiated away; reads the reply unless negotiated as no-reply. */
  public Optional<Reply> event(MilterEvent event, char code, byte[] payload) throws IOException {
    if (negotiated != null && !negotiated.sent(event)) {
      return Optional.empty();
    }
    frame(code, payload);
    if (negotiated != null && !negotiated.replies(event)) {
      // Postfix writes a no-reply event at once and goes on without waiting.
      flush();
      return Optional.empty();
    }
    return Optional.of(readReply());
  }

  // ---- raw access

  /** Queues one frame: length (code + payload), code, payload. */
  public MilterTestClient frame(char code, byte[] payload) {
    pending.writeBytes(ints(payload.length + 1));
    pending.write(code);
    pending.writeBytes(payload);
    return this;
  }

  /** Queues raw bytes (for malformed input). */
  public MilterTestClient raw(byte[] bytes) {
    pending.writeBytes(bytes);
    return this;
  }

  public void flush() throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(pending.toByteArray());
    pending.reset();
    while (buf.hasRemaining()) {
      if (channel.write(buf) == 0) {
        await(SelectionKey.OP_WRITE);
      }
    }
  }

  /** Flushes pending frames and reads one reply frame. */
  public Reply readReply() throws IOException {
    flush();
    ByteBuffer head = readFully(5);
    int length = head.getInt();
    char code = (char) (head.get() & 0xff);
    if (length < 1 || length > (1 << 24)) {
      throw new IOException("bad reply length " + length);
    }
    ByteBuffer payload = readFully(length - 1);
    return new Reply(code, payload.array());
  }

  /** True if the milter closes the connection within {@code wait} without sending anything more. */
  public boolean closedByPeer(Duration wait) throws IOException {
    flush();
    ByteBuffer one = ByteBuffer.allocate(1);
    long deadline = System.nanoTime() + wait.toNanos();
    while (System.nanoTime() < deadline) {
      int n;
      try {
        n = channel.read(one);
      } catch (IOException e) {
        return true; // reset
      }
      if (n < 0) {
        return true;
      }
      if (n > 0) {
        return false;
      }
      selector.selectedKeys().clear();
      channel.register(selector, SelectionKey.OP_READ);
      selector.select(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
    }
    return false;
  }

  private ByteBuffer readFully(int n) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(n);
    while (buf.hasRemaining()) {
      int r = channel.read(buf);
      if (r < 0) {
        throw new EOFException("milter closed the connection");
      }
      if (r == 0) {
        await(SelectionKey.OP_READ);
      }
    }
    buf.flip();
    return buf;
  }

  private void await(int op) throws IOException {
    selector.selectedKeys().clear();
    channel.register(selector, op);
    if (selector.select(timeout.toMillis()) == 0) {
      throw new SocketTimeoutException("no data from the milter within " + timeout);
    }
  }

  private static byte[] ints(int... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4);
    for (int v : values) {
      b.putInt(v);
    }
    return b.array();
  }

  public static byte[] nulTerminated(String... strings) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (String s : strings) {
      b.writeBytes(s.getBytes(StandardCharsets.UTF_8));
      b.write(0);
    }
    return b.toByteArray();
  }

  @Override
  public void close() throws IOException {
    selector.close();
    channel.close();
  }
}
