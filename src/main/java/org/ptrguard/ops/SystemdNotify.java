package org.ptrguard.ops;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells systemd about our state (sd_notify(3) protocol: newline-separated assignments in one datagram
 * to the unix socket named by NOTIFY_SOCKET). A unit with {@code Type=notify} then counts the service
 * as started only once the milter listens, and shows the STATUS text in {@code systemctl status}.
 * Without NOTIFY_SOCKET every call does nothing, so running by hand or under Type=exec is unchanged.
 */
public final class SystemdNotify {
  private static final Logger LOG = LoggerFactory.getLogger(SystemdNotify.class);
  private final Optional<String> socketPath;

  SystemdNotify(Optional<String> socketPath) {
    this.socketPath = socketPath;
  }

  public static SystemdNotify fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  static SystemdNotify fromEnvironment(Map<String, String> env) {
    String path = env.get("NOTIFY_SOCKET");
    return new SystemdNotify(path == null || path.isEmpty() ? Optional.empty() : Optional.of(path));
  }

  public void ready(String status) {
    send("READY=1\nSTATUS=" + oneLine(status));
  }

  /** Reload begins; systemd waits for the next {@link #ready} before it reports the reload done. */
  public void reloading() {
    send("RELOADING=1\nMONOTONIC_USEC=" + TimeUnit.NANOSECONDS.toMicros(System.nanoTime()));
  }

  public void stopping() {
    send("STOPPING=1");
  }

  public void status(String status) {
    send("STATUS=" + oneLine(status));
  }

  private static String oneLine(String s) {
    return s.replaceAll("[\\r\\n]+", " ");
  }

  /** Best effort: a failed notification is logged, never fatal (the service itself is fine). */
  private void send(String message) {
    if (socketPath.isEmpty()) {
      return;
    }
    String path = socketPath.get();
    if (!Epoll.isAvailable()) {
      LOG.warn("event=systemd-notify-failed reason=\"epoll transport unavailable\" message={}", LogValues.of(message));
      return;
    }
    // '@' names a socket in the abstract namespace, whose first byte is NUL.
    String address = path.startsWith("@") ? "\0" + path.substring(1) : path;
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try {
      EpollDomainDatagramChannel ch = new EpollDomainDatagramChannel();
      group.register(ch).syncUninterruptibly();
      ChannelFuture sent = ch.connect(new DomainSocketAddress(address)).awaitUninterruptibly(2, TimeUnit.SECONDS)
          && ch.isActive() ? ch.writeAndFlush(Unpooled.copiedBuffer(message, StandardCharsets.UTF_8))
          : ch.newFailedFuture(new java.io.IOException("cannot connect to the notify socket"));
      if (!sent.awaitUninterruptibly(2, TimeUnit.SECONDS) || !sent.isSuccess()) {
        LOG.warn("event=systemd-notify-failed socket={} error={}", LogValues.of(path), LogValues.of(sent.cause()));
      }
      ch.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }
}
