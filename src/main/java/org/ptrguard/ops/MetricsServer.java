package org.ptrguard.ops;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.ptrguard.net.Addresses;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code GET /metrics} in Prometheus text format and, with a control handler, the control
 * requests {@code GET /status} and {@code POST /recheck} (docs/control.md) to loopback clients only:
 * a metrics listener on a public address must not give its status or rechecks to the network.
 * Anything else gets 403, 404 or 405.
 */
public final class MetricsServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);
  private final PendingListener listener;
  private final EventLoopGroup group;
  private Channel channel;

  private MetricsServer(PendingListener listener, EventLoopGroup group) {
    this.listener = listener;
    this.group = group;
  }

  /** Binds and serves at once (see {@link #bind} and {@link #open}). */
  public static MetricsServer start(InetSocketAddress address, Metrics metrics) throws IOException {
    MetricsServer server = bind(address, metrics);
    server.open();
    return server;
  }

  /**
   * Binds {@code address} without accepting yet, on its own one-thread loop: scrapes are rare and
   * tiny, and must not share the milter's loops.
   *
   * @throws IOException "cannot listen on metrics listener (metrics.listen) HOST:PORT: CAUSE"
   */
  public static MetricsServer bind(InetSocketAddress address, Metrics metrics) throws IOException {
    return bind(address, metrics, null);
  }

  /** As {@link #bind(InetSocketAddress, Metrics)}; {@code control} answers /status and /recheck (null: none). */
  public static MetricsServer bind(InetSocketAddress address, Metrics metrics, ControlServer.Handler control)
      throws IOException {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, PendingListener.bindsBeforeListening()
        ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    ServerBootstrap b = new ServerBootstrap()
        .group(group)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new ReadTimeoutHandler(10), new HttpServerCodec(4096, 8192, 8192),
                new HttpObjectAggregator(16 * 1024), new Handler(metrics, control));
          }
        });
    try {
      return new MetricsServer(PendingListener.bind("metrics listener (metrics.listen) "
          + Addresses.hostPort(address.getAddress(), address.getPort()), b, address, true), group);
    } catch (IOException | RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  /** Starts serving. */
  public void open() throws IOException {
    channel = listener.open();
    LOG.info("event=metrics-listening address={}", channel.localAddress());
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) channel.localAddress();
  }

  @Override
  public void close() {
    listener.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final Metrics metrics;
    private final ControlServer.Handler control;

    Handler(Metrics metrics, ControlServer.Handler control) {
      this.metrics = metrics;
      this.control = control;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      FullHttpResponse response;
      String path = request.uri().split("\\?", 2)[0];
      if (control != null && (path.equals("/status") || path.equals("/recheck"))) {
        control(ctx, request, path.substring(1));
        return;
      }
      if (!path.equals("/metrics")) {
        response = text(HttpResponseStatus.NOT_FOUND, "not found; try /metrics\n");
      } else if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
        response = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "GET only\n");
      } else {
        response = text(HttpResponseStatus.OK, metrics.render());
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
      }
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    /** GET /status, POST /recheck: the control requests, for clients on this host's loopback only. */
    private void control(ChannelHandlerContext ctx, FullHttpRequest request, String word) {
      java.net.SocketAddress peer = ctx.channel().remoteAddress();
      if (!(peer instanceof InetSocketAddress inet) || !inet.getAddress().isLoopbackAddress()) {
        LOG.warn("event=control-refused peer={} request={} reason=not-loopback", LogValues.of(String.valueOf(peer)),
            LogValues.of(word));
        send(ctx, text(HttpResponseStatus.FORBIDDEN, ControlServer.error("the control requests are served to loopback "
            + "clients only; use ptrguard " + word + " on the mail server") + "\n"));
        return;
      }
      HttpMethod wanted = word.equals("status") ? HttpMethod.GET : HttpMethod.POST;
      if (!request.method().equals(wanted)) {
        send(ctx, text(HttpResponseStatus.METHOD_NOT_ALLOWED, wanted.name() + " /" + word + " only\n"));
        return;
      }
      control.handle(word).whenComplete((json, e) -> {
        FullHttpResponse r = e == null ? text(HttpResponseStatus.OK, json + "\n")
            : text(HttpResponseStatus.INTERNAL_SERVER_ERROR, ControlServer.error("internal error: " + e) + "\n");
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8");
        send(ctx, r);
      });
    }

    private static void send(ChannelHandlerContext ctx, FullHttpResponse response) {
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.debug("event=metrics-client-error error={}", LogValues.of(cause));
      ctx.close();
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
      FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
          Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
      r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
      r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
      // We close after every response; saying so keeps pooling clients (Prometheus, java.net.http)
      // from sending their next request down a connection that is already gone.
      r.headers().set(HttpHeaderNames.CONNECTION, "close");
      return r;
    }
  }
}
