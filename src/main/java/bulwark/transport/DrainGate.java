package bulwark.transport;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.vertx.core.net.impl.ShutdownEvent;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The drain window (server.shutdown.drainWindow), first in every accepted connection's pipeline.
 * When the gateway drains, Vert.x's server shutdown sends each connection a {@link ShutdownEvent},
 * and an HTTP/1.x connection that is idle at that moment is closed at once: a keep-alive client
 * that sends its next request just then sees the connection closed without a response. So, as
 * Envoy's drain does, this handler holds that event back from HTTP/1.x connections until the window
 * ends: meanwhile a request that still arrives is served and answered with {@code Connection:
 * close} (and the connection closes after it, see DataPlaneVerticle), and at the end of the window
 * Vert.x gets the event and closes what is still idle. HTTP/2 connections get it at once: Vert.x
 * sends GOAWAY with the last stream id and lets the open streams finish. A connection whose first
 * request has not even arrived by the end of the window is closed.
 */
@ChannelHandler.Sharable
public final class DrainGate extends ChannelInboundHandlerAdapter {
  static final String NAME = "bulwarkDrainGate";

  /** System.nanoTime() at which the window ends; meaningful while {@link #holding} is true. */
  private volatile long windowEndNanos;

  private volatile boolean holding;

  /** Starts the window: from now on shutdown events of HTTP/1.x connections wait for its end. */
  public void begin(Duration window) {
    windowEndNanos = System.nanoTime() + window.toNanos();
    holding = !window.isZero() && !window.isNegative();
  }

  /** Ends the window early (the drain is over): events pass at once. */
  public void end() {
    holding = false;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof ShutdownEvent && holding && !http2(ctx.pipeline())) {
      long wait = windowEndNanos - System.nanoTime();
      if (wait > 0) {
        ctx.executor().schedule(() -> release(ctx, evt), wait, TimeUnit.NANOSECONDS);
        return;
      }
    }
    super.userEventTriggered(ctx, evt);
  }

  private static void release(ChannelHandlerContext ctx, Object evt) {
    if (!ctx.channel().isActive()) return;
    // no Vert.x connection yet (nothing decoded): nobody else would act on the event
    if (ctx.pipeline().get(io.vertx.core.net.impl.VertxHandler.class) == null) ctx.close();
    else ctx.fireUserEventTriggered(evt);
  }

  private static boolean http2(ChannelPipeline p) {
    return p.get(Http2ConnectionHandler.class) != null;
  }
}
