package org.ptrguard.ops;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.Socket;
import io.netty.util.NetUtil;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * One server socket between its bind and its first accept. The daemon binds every listener (milter
 * and metrics) first and only then lets them listen: a listener that cannot be had (port taken,
 * address not on this host) stops the start while no client can have connected to another one yet,
 * to be reset at exit. With the native epoll transport the socket is bound without listen(2), so
 * the kernel completes no handshake for it either; with NIO (no natives) it listens from the bind
 * but accepts nothing until {@link #open}.
 */
public final class PendingListener implements AutoCloseable {
  private final String name;
  private final ServerBootstrap bootstrap;
  private final boolean tcp;
  /** epoll: the bound, not yet listening socket; null once handed to its channel, and for NIO. */
  private Socket socket;
  /** NIO: the bound channel, not reading; epoll: the channel once open. */
  private Channel channel;

  private PendingListener(String name, ServerBootstrap bootstrap, boolean tcp) {
    this.name = name;
    this.bootstrap = bootstrap;
    this.tcp = tcp;
  }

  /** Whether listeners are bound without listening (the native transport is there). */
  public static boolean bindsBeforeListening() {
    return Epoll.isAvailable();
  }

  /**
   * Binds {@code address} ({@link #unixAddress} for a unix socket). {@code bootstrap} has group,
   * child handler and child options; the channel is chosen here.
   *
   * @param name how error messages name the listener ("milter listener inet:127.0.0.1:8894")
   * @throws IOException naming the listener and the cause in words
   */
  public static PendingListener bind(String name, ServerBootstrap bootstrap, SocketAddress address, boolean tcp)
      throws IOException {
    PendingListener l = new PendingListener(name, bootstrap, tcp);
    try {
      if (bindsBeforeListening()) {
        l.socket = tcp ? Socket.newSocketStream() : Socket.newSocketDomain();
        if (tcp) {
          l.socket.setReuseAddress(true); // a restart must not wait for TIME_WAIT of the last run's connections
        }
        l.socket.bind(address);
      } else {
        bootstrap.channel(tcp ? NioServerSocketChannel.class : NioServerDomainSocketChannel.class)
            .option(ChannelOption.AUTO_READ, false);
        ChannelFuture f = bootstrap.bind(address).awaitUninterruptibly();
        if (!f.isSuccess()) {
          f.channel().close();
          throw f.cause() instanceof IOException io ? io : new IOException(String.valueOf(f.cause()), f.cause());
        }
        l.channel = f.channel();
      }
      return l;
    } catch (IOException | RuntimeException e) {
      l.close();
      throw failure(name, e);
    }
  }

  /**
   * A socket that is already listening (handed over by systemd), registered with auto-read off:
   * {@link #open} starts accepting, as for the others.
   */
  public static PendingListener adopted(String name, Channel registered) {
    PendingListener l = new PendingListener(name, null, false);
    l.channel = registered;
    return l;
  }

  /** Listens and starts accepting; the returned channel's local address is the one bound (a port-0 listener's port). */
  public Channel open() throws IOException {
    try {
      if (socket != null) {
        socket.listen(NetUtil.SOMAXCONN);
        int fd = socket.intValue();
        // From here the channel owns the descriptor: closing the channel closes it.
        ServerChannel ch = tcp ? new EpollServerSocketChannel(fd) : new EpollServerDomainSocketChannel(fd, true);
        socket = null;
        channel = ch;
        ChannelFuture f = bootstrap.channelFactory(() -> ch).register().awaitUninterruptibly();
        if (!f.isSuccess()) {
          throw f.cause() instanceof IOException io ? io : new IOException(String.valueOf(f.cause()), f.cause());
        }
      } else {
        channel.config().setAutoRead(true);
      }
      return channel;
    } catch (IOException | RuntimeException e) {
      throw failure(name, e);
    }
  }

  public Channel channel() {
    return channel;
  }

  @Override
  public void close() {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException e) {
        // nothing was ever accepted on it; the descriptor goes at exit at the latest
      }
      socket = null;
    }
    if (channel != null) {
      channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
  }

  /** "cannot listen on NAME: CAUSE", the cause in words an admin can act on. */
  static IOException failure(String name, Throwable e) {
    return new IOException("cannot listen on " + name + ": " + cause(e), e);
  }

  static String cause(Throwable e) {
    int errno = e instanceof Errors.NativeIoException n ? -n.expectedErr() : 0;
    String message = String.valueOf(e.getMessage());
    if (errno == 98 || message.contains("Address already in use")) {
      return "address already in use (another process listens there, or it is listed twice)";
    }
    if (errno == 99 || message.contains("Cannot assign requested address")) {
      return "address not available (not configured on this host)";
    }
    if (errno == 13 || message.contains("Permission denied")) {
      return "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE; a socket directory needs"
          + " write permission)";
    }
    if (e instanceof Errors.NativeIoException) {
      // "bind(..) failed with error(-97): Address family not supported by protocol": keep the last part
      int colon = message.lastIndexOf(": ");
      return colon < 0 ? message : message.substring(colon + 2);
    }
    return message;
  }

  @Override
  public String toString() {
    return name;
  }

  /** The address type for a unix socket at {@code path} that the transport in use binds. */
  public static SocketAddress unixAddress(Path path) {
    return bindsBeforeListening() ? new DomainSocketAddress(path.toFile()) : UnixDomainSocketAddress.of(path);
  }
}
