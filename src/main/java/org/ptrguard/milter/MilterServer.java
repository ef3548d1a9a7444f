package org.ptrguard.milter;

import org.ptrguard.net.ListenAddress;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.ptrguard.ops.LogValues;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The milter server: one or more listeners (TCP and unix sockets) feeding {@link MilterSession}s.
 * Epoll is used when available (it is on Linux with the bundled natives), NIO otherwise.
 */
public final class MilterServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MilterServer.class);
  /** The target machine has 2 cores: one loop per core; accepting is cheap and shares them. */
  static final int EVENT_LOOP_THREADS = 2;
  static final String NOT_IN_ALLOW_FROM = "not-in-allow-from";
  static final String MAX_CONNECTIONS = "max-connections";
  /** Every reason {@link #refuse} is given (the refused-connections metric shows each from the start). */
  static final List<String> REFUSAL_REASONS = List.of(NOT_IN_ALLOW_FROM, MAX_CONNECTIONS);

  private final MilterServerOptions options;
  private final MilterHandlerFactory factory;
  private final boolean epoll;
  private final EventLoopGroup group;
  private final ChannelGroup connections = new DefaultChannelGroup("milter-connections", GlobalEventExecutor.INSTANCE);
  private final List<Channel> serverChannels = new ArrayList<>();
  private final List<SocketAddress> bound = new ArrayList<>();
  private final List<UnixSocketFile> socketFiles = new ArrayList<>();
  private final AtomicInteger open = new AtomicInteger();
  private final MilterStats stats = new MilterStats();
  private final AtomicLong connectionIds = new AtomicLong();
  private final LogRateLimit logLimit = new LogRateLimit();
  private final FrameMemoryBudget budget;
  private volatile boolean closed;

  private MilterServer(MilterServerOptions options, MilterHandlerFactory factory, FrameMemoryBudget budget) {
    this.options = options;
    this.factory = factory;
    this.budget = budget;
    this.epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    this.group = new MultiThreadIoEventLoopGroup(EVENT_LOOP_THREADS, io);
    if (!epoll) {
      LOG.info("event=milter-transport transport=nio reason={}", LogValues.of(Epoll.unavailabilityCause()));
    }
  }

  /** Binds every listener; on any failure releases what was bound and throws. */
  public static MilterServer start(MilterServerOptions options, MilterHandlerFactory factory) throws IOException {
    return start(options, factory, FrameMemoryBudget.forThisJvm());
  }

  /** With an explicit budget for bytes of incomplete frames (tests use a small one). */
  static MilterServer start(MilterServerOptions options, MilterHandlerFactory factory, FrameMemoryBudget budget)
      throws IOException {
    MilterServer server = new MilterServer(options, factory, budget);
    try {
      for (ListenAddress listener : options.listeners()) {
        server.bind(listener);
      }
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
    return server;
  }

  /** The real addresses: the assigned port when port 0 was asked; the socket path for unix listeners. */
  public List<SocketAddress> boundAddresses() {
    return List.copyOf(bound);
  }

  /** Connections open right now (for tests and metrics). */
  public MilterStats stats() {
    return stats;
  }

  public int openConnections() {
    return open.get();
  }

  /** Reply bytes waiting in memory for slow readers, all connections together (for tests). */
  long pendingOutboundBytes() {
    long total = 0;
    for (Channel ch : connections) {
      io.netty.channel.ChannelOutboundBuffer buffer = ch.unsafe().outboundBuffer();
      total += buffer == null ? 0 : buffer.totalPendingWriteBytes();
    }
    return total;
  }

  private void bind(ListenAddress listener) throws IOException {
    if (listener instanceof ListenAddress.Inet inet) {
      Class<? extends ServerChannel> type = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
      Channel ch = bindOrThrow(bootstrap(type, true), new InetSocketAddress(inet.address(), inet.port()), listener);
      serverChannels.add(ch);
      bound.add(ch.localAddress());
    } else if (listener instanceof ListenAddress.Unix unix) {
      UnixSocketFile file = UnixSocketFile.prepare(unix.path(), options.unixSocketMode(), options.unixSocketGroup());
      Class<? extends ServerChannel> type = epoll ? EpollServerDomainSocketChannel.class : NioServerDomainSocketChannel.class;
      SocketAddress address = epoll ? new DomainSocketAddress(file.bindPath().toFile())
          : UnixDomainSocketAddress.of(file.bindPath());
      Channel ch = null;
      try {
        ch = bindOrThrow(bootstrap(type, false), address, listener);
        file.publish();
      } catch (IOException | RuntimeException e) {
        if (ch != null) {
          ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        file.discard();
        throw e;
      }
      serverChannels.add(ch);
      socketFiles.add(file);
      bound.add(epoll ? new DomainSocketAddress(unix.path().toFile()) : UnixDomainSocketAddress.of(unix.path()));
    } else if (listener instanceof ListenAddress.Inherited inherited) {
      adopt(inherited);
    }
  }

  /**
   * Serves a socket systemd already bound and listens on. Its family decides the channel type; the
   * socket file of a unix listener belongs to systemd, so it is not removed at close.
   */
  private void adopt(ListenAddress.Inherited inherited) throws IOException {
    if (!epoll) {
      throw new IOException("cannot use " + inherited + ": sockets from systemd need the epoll transport ("
          + Epoll.unavailabilityCause() + ")");
    }
    InheritedSocketKind kind = InheritedSocketKind.of(inherited);
    // The unix channel must be told it is active: its fd-only constructor assumes an unbound socket.
    ServerChannel channel = kind.tcp() ? new EpollServerSocketChannel(inherited.fd())
        : new EpollServerDomainSocketChannel(inherited.fd(), true);
    boolean tcp = kind.tcp();
    ChannelFuture f = bootstrap(null, tcp).channelFactory(() -> channel).register().awaitUninterruptibly();
    if (!f.isSuccess()) {
      throw new IOException("cannot use " + inherited + ": " + f.cause().getMessage(), f.cause());
    }
    serverChannels.add(channel);
    // Netty learns a unix channel's address only when it binds it itself; ask the kernel instead.
    SocketAddress local = channel.localAddress();
    bound.add(local != null ? local : new io.netty.channel.unix.Socket(inherited.fd()).localDomainSocketAddress());
  }

  private static Channel bindOrThrow(ServerBootstrap b, SocketAddress address, ListenAddress listener) throws IOException {
    ChannelFuture f = b.bind(address).awaitUninterruptibly();
    if (!f.isSuccess()) {
      f.channel().close();
      Throwable cause = f.cause();
      throw new IOException("cannot listen on " + listener + ": " + (cause == null ? "bind failed" : cause.getMessage()), cause);
    }
    return f.channel();
  }

  private ServerBootstrap bootstrap(Class<? extends ServerChannel> type, boolean tcp) {
    ServerBootstrap b = new ServerBootstrap().group(group);
    if (type != null) {
      b.channel(type);
    }
    b.childHandler(new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel ch) {
        accept(ch, tcp);
      }
    });
    if (tcp) {
      b.option(ChannelOption.SO_REUSEADDR, true).childOption(ChannelOption.TCP_NODELAY, true);
    }
    return b;
  }

  /** Runs at registration, before the first read: refused connections never get a byte read. */
  private void accept(Channel ch, boolean tcp) {
    SocketAddress remote = ch.remoteAddress();
    if (closed) {
      ch.close();
      return;
    }
    if (tcp && !allowed(remote)) {
      refuse(ch, NOT_IN_ALLOW_FROM, "");
      return;
    }
    if (open.incrementAndGet() > options.maxConnections()) {
      open.decrementAndGet();
      refuse(ch, MAX_CONNECTIONS, " limit=" + options.maxConnections());
      return;
    }
    ch.closeFuture().addListener(f -> open.decrementAndGet());
    connections.add(ch);
    SessionInfo info = new SessionInfo(connectionIds.incrementAndGet(), remote, ch.localAddress());
    stats.accepted();
    // Asked per connection: what a handler needs may change with a reloaded configuration.
    ProtocolNeeds needs = factory.needs();
    if (tcp && !QuickAck.appliesTo(ch)) {
      // Without quick ACKs, no-reply events stall Postfix on Nagle (see QuickAck): answer everything.
      needs = needs.withReplies();
    }
    configure(ch.pipeline(), options, factory, needs, info, stats, budget, logLimit);
  }

  /** Closes without reading; logs at most one line per reason and second (see {@link LogRateLimit}). */
  private void refuse(Channel ch, String reason, String detail) {
    stats.refused(reason);
    logLimit.warn(LOG, "refused " + reason, "event=milter-refused reason={}{} remote={}", reason, detail,
        LogValues.of(ch.remoteAddress()));
    ch.close();
  }

  /** The per-connection pipeline (also used by tests on an EmbeddedChannel). */
  static void configure(ChannelPipeline pipeline, MilterServerOptions options, MilterHandlerFactory factory,
      ProtocolNeeds needs, SessionInfo info, MilterStats stats) {
    configure(pipeline, options, factory, needs, info, stats, FrameMemoryBudget.forThisJvm(), new LogRateLimit());
  }

  static void configure(ChannelPipeline pipeline, MilterServerOptions options, MilterHandlerFactory factory,
      ProtocolNeeds needs, SessionInfo info, MilterStats stats, FrameMemoryBudget budget, LogRateLimit logLimit) {
    pipeline.addLast(
        new IdleStateHandler(options.idleTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS),
        new MilterFrameDecoder(options.maxFrameBytes(), options.frameTimeout(), budget, logLimit),
        MilterCommandDecoder.forOptions(options),
        MilterFrameEncoder.INSTANCE,
        new MilterSession(factory, needs, options, info, stats, logLimit));
    if (QuickAck.appliesTo(pipeline.channel())) {
      pipeline.addFirst(new QuickAck());
    }
  }

  private boolean allowed(SocketAddress remote) {
    if (!(remote instanceof InetSocketAddress inet) || inet.getAddress() == null) {
      return false;
    }
    InetAddress address = inet.getAddress();
    return options.allowFrom().stream().anyMatch(r -> r.contains(address));
  }

  /** Stops accepting, closes open connections and the event loops, removes our socket files. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Channel ch : serverChannels) {
      ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
    connections.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    socketFiles.forEach(UnixSocketFile::removeIfOurs);
  }
}
