package org.ptrguard.ops;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's local control endpoint (docs/control.md): a unix socket, mode 0660 with the given
 * group, so only root and that group can connect (the kernel checks write permission on the socket
 * file at connect). The protocol is one request line in, one JSON document and a newline out, then
 * the server closes the connection. What a request means is the {@link Handler}'s business; this
 * class only frames, bounds and transports.
 */
public final class ControlServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
  /** The protocol's version, in every response; bumped only for an incompatible change. */
  public static final int PROTOCOL = 1;
  /** Longest request line accepted. */
  public static final int MAX_REQUEST_BYTES = 1024;
  /** A client must send its line within this time. */
  static final int READ_TIMEOUT_SECONDS = 5;
  /** More connections than this at once are answered with an error at once (nobody needs more). */
  static final int MAX_CONNECTIONS = 16;
  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;

  /** Answers one request line (without its newline) with a JSON document; must not block. */
  @FunctionalInterface
  public interface Handler {
    CompletionStage<String> handle(String request);
  }

  private final Path path;
  private final Channel channel;
  private final EventLoopGroup group;
  private final Object fileKey;

  private ControlServer(Path path, Channel channel, EventLoopGroup group, Object fileKey) {
    this.path = path;
    this.channel = channel;
    this.group = group;
    this.fileKey = fileKey;
  }

  /**
   * Creates the socket at {@code path} (its directory must exist; a stale socket there is replaced,
   * a live one or any other file is an error) and serves {@code handler} on its own thread.
   */
  public static ControlServer start(Path path, Optional<String> socketGroup, Handler handler) throws IOException {
    Path dir = path.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new NoSuchFileException(String.valueOf(dir), null, "control socket directory does not exist");
    }
    Optional<GroupPrincipal> principal = Optional.empty();
    if (socketGroup.isPresent()) {
      try {
        principal = Optional.of(dir.getFileSystem().getUserPrincipalLookupService()
            .lookupPrincipalByGroupName(socketGroup.get()));
      } catch (IOException e) {
        throw new IOException("control socket " + path + ": unknown group '" + socketGroup.get() + "'", e);
      }
    }
    removeStale(path);
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    Published published = new Published();
    try {
      AtomicInteger open = new AtomicInteger();
      ServerBootstrap b = new ServerBootstrap()
          .group(group)
          .channel(NioServerDomainSocketChannel.class)
          .childHandler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
              ch.pipeline().addLast(new ReadTimeoutHandler(READ_TIMEOUT_SECONDS),
                  new LineBasedFrameDecoder(MAX_REQUEST_BYTES, true, true),
                  new StringDecoder(StandardCharsets.UTF_8), new RequestHandler(handler, published, open));
            }
          });
      Channel ch = b.bind(UnixDomainSocketAddress.of(path)).sync().channel();
      // Bound with the process umask; nobody but us can connect before this (umask keeps "other"
      // from writing), and requests are refused until mode and group are final.
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
      if (principal.isPresent()) {
        Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
            .setGroup(principal.get());
      }
      published.done = true;
      Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
      LOG.info("event=control-listening path={} group={}", LogValues.of(path),
          LogValues.of(socketGroup.orElse("(ptrguard's own)")));
      return new ControlServer(path, ch, group, key);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw new IOException("interrupted while binding " + path, e);
    } catch (IOException | RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  /** Set once mode and group are final. */
  private static final class Published {
    volatile boolean done;
  }

  private static void removeStale(Path path) throws IOException {
    int mode;
    try {
      mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return;
    }
    if ((mode & S_IFMT) != S_IFSOCK) {
      throw new FileAlreadyExistsException(path.toString(), null, "exists and is not a socket; refusing to remove it");
    }
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.connect(UnixDomainSocketAddress.of(path));
      throw new IOException("control socket " + path + ": another process (a second ptrguard daemon?) is accepting on it");
    } catch (java.net.ConnectException e) {
      Files.deleteIfExists(path);
      LOG.info("event=control-stale-socket-removed path={}", LogValues.of(path));
    }
  }

  public Path path() {
    return path;
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    try {
      Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
      if (Objects.equals(key, fileKey)) {
        Files.deleteIfExists(path); // not when another daemon has replaced it meanwhile
      }
    } catch (IOException e) {
      // already gone
    }
  }

  /** A response for a request this class refuses before any handler sees it. */
  public static String error(String message) {
    return "{\"protocol\":" + PROTOCOL + ",\"ok\":false,\"error\":\"" + message.replace("\\", "\\\\").replace("\"", "\\\"")
        + "\"}";
  }

  private static final class RequestHandler extends SimpleChannelInboundHandler<String> {
    private final Handler handler;
    private final Published published;
    private final AtomicInteger open;
    private boolean answered;

    RequestHandler(Handler handler, Published published, AtomicInteger open) {
      this.handler = handler;
      this.published = published;
      this.open = open;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      if (open.incrementAndGet() > MAX_CONNECTIONS) {
        reply(ctx, error("too many control connections at once; try again"));
      } else if (!published.done) {
        reply(ctx, error("starting; try again"));
      }
      ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      open.decrementAndGet();
      ctx.fireChannelInactive();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, String line) {
      if (answered) {
        return; // one request per connection
      }
      answered = true;
      ctx.channel().config().setAutoRead(false);
      String request = line.strip();
      LOG.debug("event=control-request request={}", LogValues.of(request));
      CompletionStage<String> response;
      try {
        response = handler.handle(request);
      } catch (RuntimeException e) {
        LOG.warn("event=control-error request={} error={}", LogValues.of(request), LogValues.of(e));
        reply(ctx, error("internal error: " + e));
        return;
      }
      response.whenComplete((json, e) -> {
        if (e != null) {
          LOG.warn("event=control-error request={} error={}", LogValues.of(request), LogValues.of(e));
        }
        reply(ctx, e == null ? json : error("internal error: " + e));
      });
    }

    /**
     * Writes the answer and ends our direction only: closing with unread request bytes (a line that
     * was too long) would reset the connection before the client read the answer. Whatever else the
     * client sends is read and dropped until it closes or the read timeout ends the connection.
     */
    private void reply(ChannelHandlerContext ctx, String json) {
      answered = true;
      Channel ch = ctx.channel();
      ctx.writeAndFlush(Unpooled.copiedBuffer(json + "\n", StandardCharsets.UTF_8)).addListener(f -> {
        if (ch instanceof DuplexChannel duplex && f.isSuccess()) {
          duplex.shutdownOutput();
          ch.config().setAutoRead(true);
        } else {
          ch.close();
        }
      });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (cause instanceof TooLongFrameException && !answered) {
        reply(ctx, error("request line longer than " + MAX_REQUEST_BYTES + " bytes"));
        return;
      }
      LOG.debug("event=control-client-error error={}", LogValues.of(cause));
      ctx.close();
    }
  }
}
