package org.ptrguard.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A small blocking SMTP client for tests: one command, one parsed reply, nothing hidden.
 * Works over IPv4 and IPv6 loopback. Not for production use (no TLS, no pipelining, no AUTH).
 */
public final class SmtpTestClient implements AutoCloseable {
  private static final int MAX_LINE = 4096;
  private static final int MAX_LINES = 200;

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final List<String> transcript = new ArrayList<>();

  private SmtpTestClient(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new BufferedInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** Connects; {@code timeout} bounds the connect and every later reply. */
  public static SmtpTestClient connect(InetSocketAddress server, Duration timeout) throws IOException {
    return connect(server, null, timeout);
  }

  /**
   * Connects from a chosen local address (e.g. 127.0.0.9, to look like another client to Postfix
   * and the milter); {@code null} lets the kernel choose.
   */
  public static SmtpTestClient connect(InetSocketAddress server, java.net.InetAddress local, Duration timeout)
      throws IOException {
    Socket socket = new Socket();
    try {
      if (local != null) {
        socket.bind(new InetSocketAddress(local, 0));
      }
      socket.setTcpNoDelay(true);
      socket.connect(server, (int) timeout.toMillis());
      socket.setSoTimeout((int) timeout.toMillis());
      return new SmtpTestClient(socket);
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  /** Local address of the connection: what the server (and a milter) sees as the client. */
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) socket.getLocalSocketAddress();
  }

  public SmtpReply greeting() throws IOException {
    return readReply();
  }

  public SmtpReply ehlo(String name) throws IOException {
    return command("EHLO " + name);
  }

  public SmtpReply helo(String name) throws IOException {
    return command("HELO " + name);
  }

  /** {@code MAIL FROM:<sender>}; an empty sender gives the null reverse path. */
  public SmtpReply mail(String sender) throws IOException {
    return command("MAIL FROM:<" + sender + ">");
  }

  public SmtpReply rcpt(String recipient) throws IOException {
    return command("RCPT TO:<" + recipient + ">");
  }

  /**
   * DATA, then the message (LF or CRLF line ends, dot-stuffed here) and the final dot. Returns the
   * reply to the end of data, or the refusal of DATA itself if the server did not answer 354.
   */
  public SmtpReply data(String message) throws IOException {
    SmtpReply go = command("DATA");
    if (go.code() != 354) {
      return go;
    }
    StringBuilder body = new StringBuilder();
    for (String line : message.split("\r?\n", -1)) {
      body.append(line.startsWith(".") ? "." : "").append(line).append("\r\n");
    }
    if (message.endsWith("\n")) {
      body.setLength(body.length() - 2); // the split produced an empty last element
    }
    body.append(".\r\n");
    write(body.toString());
    transcript.add("C: <message, " + message.length() + " chars>");
    return readReply();
  }

  public SmtpReply rset() throws IOException {
    return command("RSET");
  }

  public SmtpReply noop() throws IOException {
    return command("NOOP");
  }

  public SmtpReply quit() throws IOException {
    return command("QUIT");
  }

  /** Sends any command line (without CRLF) and reads its reply. */
  public SmtpReply command(String line) throws IOException {
    if (line.contains("\r") || line.contains("\n")) {
      throw new IllegalArgumentException("command must be one line: " + line);
    }
    transcript.add("C: " + line);
    write(line + "\r\n");
    return readReply();
  }

  /**
   * True when the server closes the connection within {@code timeout} (reads end of stream), false
   * when it stays open; any bytes it sends meanwhile make this an error.
   */
  public boolean awaitServerClose(Duration timeout) throws IOException {
    int previous = socket.getSoTimeout();
    socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
    try {
      int next = in.read();
      if (next == -1) {
        return true;
      }
      throw new IOException("server sent unexpected data instead of closing: " + (char) next);
    } catch (SocketTimeoutException stillOpen) {
      return false;
    } catch (java.net.SocketException reset) {
      return true; // a reset after the server's close counts as closed
    } finally {
      if (!socket.isClosed()) {
        socket.setSoTimeout(previous);
      }
    }
  }

  /** Every line sent and received so far, for assertion messages. */
  public List<String> transcript() {
    return List.copyOf(transcript);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  private void write(String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private SmtpReply readReply() throws IOException {
    List<String> lines = new ArrayList<>();
    while (true) {
      String line = readLine();
      transcript.add("S: " + line);
      lines.add(line);
      if (line.length() < 4 || line.charAt(3) != '-') {
        return SmtpReply.parse(lines);
      }
      if (lines.size() >= MAX_LINES) {
        throw new IOException("reply longer than " + MAX_LINES + " lines: " + lines.get(0));
      }
    }
  }

  /** Reads up to CRLF; a bare LF is tolerated (and kept out of the line). */
  private String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    while (true) {
      int b = in.read();
      if (b == -1) {
        throw new EOFException("server closed the connection"
            + (line.size() > 0 ? " after a partial line: " + line.toString(StandardCharsets.UTF_8) : "")
            + "; transcript: " + transcript);
      }
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int end = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
      }
      if (line.size() >= MAX_LINE) {
        throw new IOException("reply line longer than " + MAX_LINE + " bytes");
      }
      line.write(b);
    }
  }
}
