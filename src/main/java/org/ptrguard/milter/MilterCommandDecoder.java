package org.ptrguard.milter;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.ptrguard.net.IpLiterals;
import org.ptrguard.milter.MilterCommand.Malformed;

/**
 * Turns one frame (command byte + payload) into a {@link MilterCommand}. A payload that does not
 * parse becomes {@link Malformed} rather than an exception, so the session can log it in order and
 * close cleanly.
 *
 * <p>Frames that are lists of strings (macros, MAIL/RCPT arguments) are checked against their
 * limits while they are scanned, before any string is built: a 1 MiB frame can hold a quarter of a
 * million empty strings, and building them all only to refuse the frame afterwards kept a flood
 * of such frames in full garbage collection.
 */
@Sharable
final class MilterCommandDecoder extends MessageToMessageDecoder<ByteBuf> {
  /** With the default macro limits (for tests and tools that read frames outside a server). */
  static final MilterCommandDecoder INSTANCE =
      new MilterCommandDecoder(MilterServerOptions.DEFAULT_MAX_MACROS_PER_STAGE, MilterServerOptions.DEFAULT_MAX_MACRO_BYTES);
  /**
   * MAIL and RCPT arguments: the address and its ESMTP parameters. Postfix's SMTP server takes lines
   * of at most line_length_limit bytes (2,048 by default), which cannot hold more than 1,024 arguments.
   */
  static final int MAX_ARGUMENTS = 1024;

  private final int maxMacrosPerStage;
  private final int maxMacroBytes;

  MilterCommandDecoder(int maxMacrosPerStage, int maxMacroBytes) {
    this.maxMacrosPerStage = maxMacrosPerStage;
    this.maxMacroBytes = maxMacroBytes;
  }

  static MilterCommandDecoder forOptions(MilterServerOptions options) {
    return new MilterCommandDecoder(options.maxMacrosPerStage(), options.maxMacroBytes());
  }

  /** Thrown inside this class only, turned into {@link Malformed}. */
  private static final class BadPayload extends Exception {
    private static final long serialVersionUID = 1L;

    BadPayload(String message) {
      super(message, null, false, false);
    }
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) {
    out.add(decodeFrame(frame));
  }

  /** With the default limits. */
  static MilterCommand decode(ByteBuf frame) {
    return INSTANCE.decodeFrame(frame);
  }

  MilterCommand decodeFrame(ByteBuf frame) {
    if (!frame.isReadable()) {
      return new Malformed("empty frame (length 0)");
    }
    char code = (char) (frame.readByte() & 0xff);
    try {
      return switch (code) {
        case MilterProtocol.SMFIC_OPTNEG -> optionNegotiation(frame);
        case MilterProtocol.SMFIC_MACRO -> macro(frame);
        case MilterProtocol.SMFIC_CONNECT -> connect(frame);
        case MilterProtocol.SMFIC_HELO -> new MilterCommand.Helo(string(frame, "HELO name"));
        case MilterProtocol.SMFIC_MAIL -> new MilterCommand.Mail(argv(frame, "MAIL"));
        case MilterProtocol.SMFIC_RCPT -> new MilterCommand.Rcpt(argv(frame, "RCPT"));
        case MilterProtocol.SMFIC_DATA -> new MilterCommand.Data();
        case MilterProtocol.SMFIC_HEADER -> header(frame);
        case MilterProtocol.SMFIC_EOH -> new MilterCommand.EndOfHeaders();
        case MilterProtocol.SMFIC_BODY -> new MilterCommand.Body(bytes(frame));
        case MilterProtocol.SMFIC_BODYEOB -> new MilterCommand.EndOfMessage(bytes(frame));
        case MilterProtocol.SMFIC_ABORT -> new MilterCommand.Abort();
        case MilterProtocol.SMFIC_QUIT -> new MilterCommand.Quit();
        case MilterProtocol.SMFIC_QUIT_NC -> new MilterCommand.QuitNewConnection();
        case MilterProtocol.SMFIC_UNKNOWN -> new MilterCommand.Unknown(string(frame, "UNKNOWN command"));
        default -> new Malformed("unknown command code '" + code + "'"
            + " (0x" + Integer.toHexString(code) + ")");
      };
    } catch (BadPayload e) {
      return new Malformed(commandName(code) + ": " + e.getMessage());
    }
  }

  private static String commandName(char code) {
    return switch (code) {
      case MilterProtocol.SMFIC_OPTNEG -> "OPTNEG";
      case MilterProtocol.SMFIC_MACRO -> "MACRO";
      case MilterProtocol.SMFIC_CONNECT -> "CONNECT";
      case MilterProtocol.SMFIC_HELO -> "HELO";
      case MilterProtocol.SMFIC_MAIL -> "MAIL";
      case MilterProtocol.SMFIC_RCPT -> "RCPT";
      case MilterProtocol.SMFIC_HEADER -> "HEADER";
      case MilterProtocol.SMFIC_UNKNOWN -> "UNKNOWN";
      default -> String.valueOf(code);
    };
  }

  private static MilterCommand optionNegotiation(ByteBuf frame) throws BadPayload {
    if (frame.readableBytes() < 12) {
      throw new BadPayload("needs 12 bytes (version, actions, protocol), got " + frame.readableBytes());
    }
    return new MilterCommand.OptionNegotiation(frame.readInt(), frame.readInt(), frame.readInt());
  }

  private MilterCommand macro(ByteBuf frame) throws BadPayload {
    if (!frame.isReadable()) {
      throw new BadPayload("missing target command byte");
    }
    char target = (char) (frame.readByte() & 0xff);
    int bytes = frame.readableBytes();
    String stage = MacroStage.forCommand(target).map(Enum::name).orElse("'" + target + "'");
    if (bytes > maxMacroBytes) {
      throw new BadPayload(bytes + " bytes of macros for stage " + stage + ", limit " + maxMacroBytes);
    }
    int count = countStrings(frame, 2 * maxMacrosPerStage + 1);
    if (count > 2 * maxMacrosPerStage) {
      throw new BadPayload("more than " + maxMacrosPerStage + " macros for stage " + stage + ", limit "
          + maxMacrosPerStage);
    }
    List<String> strings = new ArrayList<>(count);
    while (frame.isReadable()) {
      strings.add(string(frame, "macro name or value"));
    }
    if (strings.size() % 2 != 0) {
      throw new BadPayload("odd number of strings (" + strings.size() + ") in name/value list");
    }
    Map<String, String> macros = new LinkedHashMap<>();
    for (int i = 0; i < strings.size(); i += 2) {
      macros.put(canonicalMacroName(strings.get(i)), strings.get(i + 1));
    }
    return new MilterCommand.Macro(target, Collections.unmodifiableMap(macros), strings.size() / 2, bytes);
  }

  /** libmilter treats "j" and "{j}" as one name: store everything in braces. */
  static String canonicalMacroName(String name) {
    if (name.length() >= 2 && name.startsWith("{") && name.endsWith("}")) {
      return name;
    }
    return "{" + name + "}";
  }

  private static MilterCommand connect(ByteBuf frame) throws BadPayload {
    String host = string(frame, "hostname");
    if (!frame.isReadable()) {
      throw new BadPayload("missing address family");
    }
    char familyCode = (char) (frame.readByte() & 0xff);
    ConnectInfo.Family family = ConnectInfo.Family.forCode(familyCode).orElseThrow(() ->
        new BadPayload("unknown address family '" + familyCode + "'"));
    if (family == ConnectInfo.Family.UNKNOWN) {
      // libmilter ignores anything after family U.
      return new MilterCommand.Connect(new ConnectInfo(host, family, 0, Optional.empty(), ""));
    }
    if (frame.readableBytes() < 2) {
      throw new BadPayload("truncated port");
    }
    int port = frame.readUnsignedShort();
    String raw = string(frame, "address");
    return new MilterCommand.Connect(new ConnectInfo(host, family, port, address(family, raw), raw));
  }

  /** Literals only, never DNS; IPv6 with or without Sendmail's "IPv6:" prefix or brackets. */
  static Optional<InetAddress> address(ConnectInfo.Family family, String raw) {
    String s = raw.trim();
    if (family == ConnectInfo.Family.INET6) {
      if (s.toLowerCase(Locale.ROOT).startsWith("ipv6:")) {
        s = s.substring(5);
      }
      if (s.startsWith("[") && s.endsWith("]")) {
        s = s.substring(1, s.length() - 1);
      }
      if (s.indexOf(':') < 0) {
        return Optional.empty();
      }
      // ::ffff:a.b.c.d comes back as an Inet4Address: still the client's address, keep it.
      return IpLiterals.parse(s);
    }
    if (family == ConnectInfo.Family.INET) {
      if (s.startsWith("[") && s.endsWith("]")) {
        s = s.substring(1, s.length() - 1);
      }
      return IpLiterals.parse(s).filter(a -> a instanceof Inet4Address);
    }
    return Optional.empty();
  }

  private static MilterCommand header(ByteBuf frame) throws BadPayload {
    String name = string(frame, "header name");
    String value = string(frame, "header value");
    return new MilterCommand.Header(name, value);
  }

  private static List<String> argv(ByteBuf frame, String what) throws BadPayload {
    if (countStrings(frame, MAX_ARGUMENTS + 1) > MAX_ARGUMENTS) {
      throw new BadPayload("over the limit of " + MAX_ARGUMENTS + " arguments");
    }
    List<String> argv = new ArrayList<>();
    while (frame.isReadable()) {
      argv.add(string(frame, what + " argument"));
    }
    if (argv.isEmpty()) {
      throw new BadPayload("no address");
    }
    return List.copyOf(argv);
  }

  private static byte[] bytes(ByteBuf frame) {
    byte[] b = new byte[frame.readableBytes()];
    frame.readBytes(b);
    return b;
  }

  /**
   * NUL-separated strings from the reader index on (an unterminated tail counts as one), counting
   * no further than {@code stopAt}; nothing is read or built.
   */
  static int countStrings(ByteBuf frame, int stopAt) {
    int count = 0;
    int from = frame.readerIndex();
    int end = frame.writerIndex();
    while (from < end && count < stopAt) {
      int nul = frame.indexOf(from, end, (byte) 0);
      count++;
      from = nul < 0 ? end : nul + 1;
    }
    return count;
  }

  private static String string(ByteBuf frame, String what) throws BadPayload {
    int nul = frame.indexOf(frame.readerIndex(), frame.writerIndex(), (byte) 0);
    if (nul < 0) {
      throw new BadPayload(what + " is not NUL-terminated");
    }
    String s = frame.toString(frame.readerIndex(), nul - frame.readerIndex(), StandardCharsets.UTF_8);
    frame.readerIndex(nul + 1);
    return s;
  }
}
