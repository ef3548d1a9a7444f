package org.ptrguard.ops;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Sends one request line to a running daemon's {@link ControlServer} and returns its JSON answer. */
public final class ControlClient {
  /** Largest answer read (a status of thousands of identities is well below). */
  static final int MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

  /** Why the daemon could not be asked, worded for the admin. */
  public static final class Unavailable extends IOException {
    private final boolean noPermission;

    Unavailable(String message, boolean noPermission, Throwable cause) {
      super(message, cause);
      this.noPermission = noPermission;
    }

    /** True when the socket exists but this user may not connect to it. */
    public boolean noPermission() {
      return noPermission;
    }
  }

  private ControlClient() {}

  public static String request(Path socket, String request, Duration timeout) throws IOException {
    SocketChannel channel;
    try {
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    } catch (IOException e) {
      throw new Unavailable("cannot open a unix socket: " + e.getMessage(), false, e);
    }
    try (channel) {
      try {
        channel.connect(UnixDomainSocketAddress.of(socket));
      } catch (IOException e) {
        throw unavailable(socket, e);
      }
      // A blocking read cannot time out by itself: it runs in a task, and closing the channel ends it.
      FutureTask<String> exchange = new FutureTask<>(() -> exchange(channel, request));
      Thread t = new Thread(exchange, "ptrguard-control-client");
      t.setDaemon(true);
      t.start();
      try {
        return exchange.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        throw new IOException("the daemon did not answer '" + request + "' within " + timeout.toSeconds() + " s", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      } catch (ExecutionException e) {
        throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
      }
    }
  }

  private static String exchange(SocketChannel channel, String request) throws IOException {
    ByteBuffer out = ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8));
    while (out.hasRemaining()) {
      channel.write(out);
    }
    ByteArrayOutputStream in = new ByteArrayOutputStream();
    ByteBuffer buf = ByteBuffer.allocate(8192);
    while (channel.read(buf) >= 0) {
      buf.flip();
      in.write(buf.array(), 0, buf.limit());
      buf.clear();
      if (in.size() > MAX_RESPONSE_BYTES) {
        throw new IOException("the daemon's answer is larger than " + MAX_RESPONSE_BYTES + " bytes");
      }
    }
    String text = in.toString(StandardCharsets.UTF_8).strip();
    if (text.isEmpty()) {
      throw new IOException("the daemon closed the connection without an answer");
    }
    return text;
  }

  private static Unavailable unavailable(Path socket, IOException e) {
    String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
    if (m.contains("permission denied") || e instanceof java.nio.file.AccessDeniedException) {
      return new Unavailable("permission denied on " + socket + ": run as root or as a member of the socket's group "
          + "(unix-socket.group, by default ptrguard's own)", true, e);
    }
    if (m.contains("no such file")) {
      return new Unavailable("no control socket at " + socket + ": the daemon is not running, or runs with another "
          + "control.socket (systemctl status ptrguard; --socket PATH)", false, e);
    }
    if (m.contains("connection refused")) {
      return new Unavailable("nothing accepts on " + socket + " (a stale socket: the daemon is not running)", false, e);
    }
    return new Unavailable("cannot connect to " + socket + ": " + e.getMessage(), false, e);
  }
}
