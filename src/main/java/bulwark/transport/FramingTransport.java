package bulwark.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.net.TcpConfig;
import io.vertx.core.transport.Transport;
import java.util.concurrent.ThreadFactory;

/**
 * The Vert.x transport (native epoll when available), with two additions: every accepted connection
 * gets {@link RequestFraming} in front of its HTTP/1.x decoder before its first byte is decoded,
 * and {@link DeferredFlush} nearest its socket. (Upstream connections get theirs in UpstreamClient:
 * Vert.x's HTTP client clears the pipeline of a channel it has opened.) (HTTP/2 connections, by
 * prior knowledge or ALPN, start with the HTTP/2 preface, and the guard steps aside at once.)
 * Vert.x's connection handler comes too late for that: with h2c enabled it runs only once the first
 * request has been decoded. Everything else is delegated unchanged.
 */
public final class FramingTransport {
  private FramingTransport() {}

  /**
   * @param headTimeoutMillis server.limits.requestHeaderTimeout: a connection whose first request
   *     head is not complete this long after it was accepted is closed (with 408 when nothing was
   *     written yet); 0 turns it off
   * @param rules the Host grammar and the refusals of the framing guard
   */
  public static Transport wrap(Transport t, long headTimeoutMillis, FramingRules rules) {
    return wrap(t, headTimeoutMillis, new DrainGate(), rules);
  }

  /**
   * As {@link #wrap(Transport, long, FramingRules)}, with {@code drain} first in every accepted
   * connection, for the drain window.
   */
  public static Transport wrap(
      Transport t, long headTimeoutMillis, DrainGate drain, FramingRules rules) {
    io.vertx.core.spi.transport.Transport impl = t.implementation();
    io.vertx.core.spi.transport.Transport guarded =
        new Spi(impl, new AcceptHook(headTimeoutMillis, drain, rules));
    return new Transport() {
      @Override
      public String name() {
        return t.name();
      }

      @Override
      public boolean available() {
        return t.available();
      }

      @Override
      public Throwable unavailabilityCause() {
        return t.unavailabilityCause();
      }

      @Override
      public io.vertx.core.spi.transport.Transport implementation() {
        return guarded;
      }
    };
  }

  /**
   * On the listening channel: hands each new connection an {@link Installer} before Vert.x sets it
   * up.
   */
  @ChannelHandler.Sharable
  static final class AcceptHook extends ChannelInboundHandlerAdapter {
    private final long headTimeoutMillis;
    private final DrainGate drain;
    private final FramingRules rules;

    AcceptHook(long headTimeoutMillis, DrainGate drain, FramingRules rules) {
      this.headTimeoutMillis = headTimeoutMillis;
      this.drain = drain;
      this.rules = rules;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Channel child) {
        child.attr(TlsHandshakes.ACCEPTED).set(System.nanoTime());
        child
            .pipeline()
            .addFirst("bulwarkFramingInstaller", new Installer(headTimeoutMillis, rules));
        child.pipeline().addFirst(DrainGate.NAME, drain);
      }
      ctx.fireChannelRead(msg);
    }
  }

  /**
   * requestHeaderTimeout, from the accept on: a slowloris that never completes its first head (or
   * sends nothing at all) is cut here, at the Netty level, because Vert.x's connection handler
   * comes only after the first complete head when h2c is enabled. {@link RequestFraming} cancels it
   * when the first head is complete or when it steps aside (HTTP/2, an unrecognised TLS layer).
   */
  static final io.netty.util.AttributeKey<io.netty.util.concurrent.ScheduledFuture<?>> HEAD_TIMER =
      io.netty.util.AttributeKey.valueOf("bulwark.headTimer");

  private static void headTimedOut(Channel ch, long millis) {
    if (ch.attr(HEAD_TIMER).getAndSet(null) == null || !ch.isActive()) return;
    RequestFraming rf = ch.pipeline().get(RequestFraming.class);
    if (rf != null) rf.headTimedOut(ch.pipeline().context(rf), millis);
    else ch.close();
  }

  /**
   * First in a new connection's pipeline. On the first bytes, once Vert.x has set the connection
   * up, it puts {@link RequestFraming} where it sees the plaintext from the start: right after TLS
   * if there is TLS (after SNI has chosen the certificate), else in its own place, in front of
   * Vert.x's HTTP/1-or-HTTP/2 detection and the decoder. Then it leaves.
   */
  static final class Installer extends ChannelInboundHandlerAdapter {
    private final long headTimeoutMillis;
    private final FramingRules rules;

    Installer(long headTimeoutMillis, FramingRules rules) {
      this.headTimeoutMillis = headTimeoutMillis;
      this.rules = rules;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      // called once the accepted channel is registered with its event loop
      if (headTimeoutMillis <= 0) return;
      Channel ch = ctx.channel();
      ch.attr(HEAD_TIMER)
          .set(
              ctx.executor()
                  .schedule(
                      () -> headTimedOut(ch, headTimeoutMillis),
                      headTimeoutMillis,
                      java.util.concurrent.TimeUnit.MILLISECONDS));
      ch.closeFuture()
          .addListener(
              f -> {
                var t = ch.attr(HEAD_TIMER).getAndSet(null);
                if (t != null) t.cancel(false);
              });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ChannelPipeline p = ctx.pipeline();
      ChannelHandlerContext tls = p.context(io.netty.handler.ssl.SslHandler.class);
      ChannelHandlerContext sni =
          tls == null ? p.context(io.netty.handler.ssl.AbstractSniHandler.class) : null;
      // time the handshake: right after the TLS handler (an SNI handler is replaced in place by
      // one)
      ChannelHandlerContext tlsOrSni = tls != null ? tls : sni;
      if (tlsOrSni != null && p.get(TlsHandshakes.Timer.NAME) == null) {
        p.addAfter(tlsOrSni.name(), TlsHandshakes.Timer.NAME, new TlsHandshakes.Timer());
      }
      if (sni != null) {
        // TLS with SNI: the SslHandler replaces the SNI handler once the ClientHello is read; wait
        // for it
        ctx.fireChannelRead(msg);
        return;
      }
      if (p.get(RequestFraming.NAME) == null) {
        p.addAfter(
            tls != null ? tls.name() : ctx.name(), RequestFraming.NAME, new RequestFraming(rules));
      }
      // here, not on accept: Vert.x sets the pipeline of a new connection up anew
      DeferredFlush.install(ctx.channel());
      p.remove(this);
      ctx.fireChannelRead(msg);
    }
  }

  private record Spi(io.vertx.core.spi.transport.Transport d, AcceptHook hook)
      implements io.vertx.core.spi.transport.Transport {
    @Override
    public ChannelFactory<? extends ServerChannel> serverChannelFactory(boolean domainSocket) {
      ChannelFactory<? extends ServerChannel> f = d.serverChannelFactory(domainSocket);
      return () -> {
        ServerChannel ch = f.newChannel();
        ch.pipeline().addFirst("bulwarkAcceptHook", hook);
        return ch;
      };
    }

    @Override
    public boolean supportsDomainSockets() {
      return d.supportsDomainSockets();
    }

    @Override
    public boolean supportFileRegion() {
      return d.supportFileRegion();
    }

    @Override
    public boolean isAvailable() {
      return d.isAvailable();
    }

    @Override
    public Throwable unavailabilityCause() {
      return d.unavailabilityCause();
    }

    @Override
    public java.net.SocketAddress convert(io.vertx.core.net.SocketAddress address) {
      return d.convert(address);
    }

    @Override
    public io.vertx.core.net.SocketAddress convert(java.net.SocketAddress address) {
      return d.convert(address);
    }

    @Override
    public IoHandlerFactory ioHandlerFactory() {
      return d.ioHandlerFactory();
    }

    @Override
    public EventLoopGroup eventLoopGroup(
        int type, int nThreads, ThreadFactory threadFactory, int ioRatio) {
      return d.eventLoopGroup(type, nThreads, threadFactory, ioRatio);
    }

    @Override
    public DatagramChannel datagramChannel(InternetProtocolFamily family) {
      return d.datagramChannel(family);
    }

    @Override
    public ChannelFactory<? extends DatagramChannel> datagramChannelFactory() {
      return d.datagramChannelFactory();
    }

    @Override
    public ChannelFactory<? extends Channel> channelFactory(boolean domainSocket) {
      return d.channelFactory(domainSocket);
    }

    @Override
    public void configure(DatagramChannel channel, DatagramSocketOptions options) {
      d.configure(channel, options);
    }

    @Override
    public void configure(
        TcpConfig options, boolean domainSocket, io.netty.bootstrap.Bootstrap bootstrap) {
      d.configure(options, domainSocket, bootstrap);
    }

    @Override
    public void configure(
        TcpConfig options, boolean domainSocket, io.netty.bootstrap.ServerBootstrap bootstrap) {
      d.configure(options, domainSocket, bootstrap);
    }
  }
}
