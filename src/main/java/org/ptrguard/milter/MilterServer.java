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
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.ptrguard.ops.LogValues;
import org.ptrguard.ops.PendingListener;
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
  private final List<Listener> listeners = new ArrayList<>();
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

  /**
   * Binds every listener and starts accepting on all of them; on any failure releases what was bound
   * and throws (see {@link #bind} and {@link #open} for a caller with listeners of its own).
   */
  public static MilterServer start(MilterServerOptions options, MilterHandlerFactory factory) throws IOException {
    return start(options, factory, FrameMemoryBudget.forThisJvm());
  }

  /** With an explicit budget for bytes of incomplete frames (tests use a small one). */
  static MilterServer start(MilterServerOptions options, MilterHandlerFactory factory, FrameMemoryBudget budget)
      throws IOException {
    MilterServer server = bind(options, factory, budget);
    server.open();
    return server;
  }

  /**
   * Binds every listener without accepting anything yet: socket directories, stale and live socket
   * files, groups and addresses are all checked here. On any failure releases what was bound and
   * throws an exception naming the listener and the cause.
   */
  public static MilterServer bind(MilterServerOptions options, MilterHandlerFactory factory) throws IOException {
    return bind(options, factory, FrameMemoryBudget.forThisJvm());
  }

  static MilterServer bind(MilterServerOptions options, MilterHandlerFactory factory, FrameMemoryBudget budget)
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

  /** Listens and accepts on every bound listener; on failure closes them all and throws. */
  public void open() throws IOException {
    try {
      for (Listener l : listeners) {
        Channel ch = l.pending().open();
        if (l.file() != null) {
          l.file().publish(); // the socket appears at its path only once it accepts
          socketFiles.add(l.file());
        }
        serverChannels.add(ch);
        bound.add(l.address() != null ? l.address() : ch.localAddress());
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
    }
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
    String name = "milter listener " + listener;
    if (listener instanceof ListenAddress.Inet inet) {
      PendingListener p = PendingListener.bind(name, bootstrap(true), new InetSocketAddress(inet.address(), inet.port()),
          true);
      listeners.add(new Listener(p, null, null));
    } else if (listener instanceof ListenAddress.Unix unix) {
      UnixSocketFile file = UnixSocketFile.prepare(unix.path(), options.unixSocketMode(), options.unixSocketGroup());
      try {
        PendingListener p = PendingListener.bind(name, bootstrap(false), PendingListener.unixAddress(file.bindPath()),
            false);
        listeners.add(new Listener(p, file, PendingListener.unixAddress(unix.path())));
      } catch (IOException | RuntimeException e) {
        file.discard();
        throw e;
      }
    } else if (listener instanceof ListenAddress.Inherited inherited) {
      adopt(inherited);
    }
  }

  /**
   * Serves a socket systemd already bound and listens on. Its family decides the channel type; the
   * socket file of a unix listener belongs to systemd, so it is not removed at close. Accepting
   * starts at {@link #open} like the others (meanwhile connections wait in systemd's socket).
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
    ChannelFuture f = bootstrap(tcp).option(ChannelOption.AUTO_READ, false).channelFactory(() -> channel).register()
        .awaitUninterruptibly();
    if (!f.isSuccess()) {
      throw new IOException("cannot use " + inherited + ": " + f.cause().getMessage(), f.cause());
    }
    // Netty learns a unix channel's address only when it binds it itself; ask the kernel instead.
    SocketAddress local = channel.localAddress();
    listeners.add(new Listener(PendingListener.adopted(inherited.toString(), channel), null,
        local != null ? local : new io.netty.channel.unix.Socket(inherited.fd()).localDomainSocketAddress()));
  }

  /**
   * Reply bytes a connection may have in flight before ptrguard stops reading it: the kernel's send
   * buffer (this, doubled by Linux) plus Netty's high-water mark. Postfix reads each reply before it
   * sends the next command, so it never comes near; a peer that pipelines commands and never reads
   * would otherwise have hundreds of thousands of commands processed (loopback's send buffer grows to
   * megabytes of 5-byte replies, measured: 37 s of one event loop's time for 16 MiB of HELOs, a real
   * session on that loop slowed 20-fold) before the idle timeout could start.
   */
  static final int SEND_BUFFER_BYTES = 16 * 1024;
  static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(8 * 1024, 16 * 1024);

  private ServerBootstrap bootstrap(boolean tcp) {
    ServerBootstrap b = new ServerBootstrap().group(group)
        .childOption(ChannelOption.SO_SNDBUF, SEND_BUFFER_BYTES)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK);
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
    listeners.forEach(l -> l.pending().close());
    for (Channel ch : serverChannels) {
      ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
    connections.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    socketFiles.forEach(UnixSocketFile::removeIfOurs);
    listeners.stream().filter(l -> l.file() != null && !socketFiles.contains(l.file()))
        .forEach(l -> l.file().discard());
  }

  /**
   * A bound listener; for a unix socket also its file (published once it accepts) and its address
   * (null: the channel's own).
   */
  private record Listener(PendingListener pending, UnixSocketFile file, SocketAddress address) {}
}
