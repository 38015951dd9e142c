package bulwark.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateHandler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.impl.UnpooledHttpClientConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * When a connection last read anything, for the PINGs that check an idle HTTP/2 upstream
 * connection: a PING goes out only when nothing came in for a while (a connection that reads needs
 * none). First in the pipeline, nearest the socket, so every read counts (TLS records, PING acks,
 * frames of any stream). Confined to the connection's event loop.
 */
public final class LastRead extends ChannelInboundHandlerAdapter {
  static final String NAME = "bulwarkLastRead";

  private long nanos = System.nanoTime();

  private LastRead() {}

  /**
   * Installs one on a Vert.x client connection and returns it; with {@code dropIdleTimeout}, also
   * removes the connection's idle timeout (Vert.x's IdleStateHandler, which counts frames, so that
   * PINGs would keep any connection open and a silent stream would be cut): the caller then closes
   * the connection when idle by its own rule. Null when the connection's Netty channel cannot be
   * reached (a Vert.x whose classes differ): the connection stays as it was.
   */
  public static LastRead install(HttpConnection c, boolean dropIdleTimeout) {
    Object impl = c instanceof UnpooledHttpClientConnection u ? u.unwrap() : c;
    if (!(impl instanceof ConnectionBase cb)) return null;
    Channel ch = cb.channel();
    if (dropIdleTimeout) {
      IdleStateHandler idle = ch.pipeline().get(IdleStateHandler.class);
      if (idle != null) ch.pipeline().remove(idle);
    }
    LastRead r = new LastRead();
    ch.pipeline().addFirst(NAME, r);
    return r;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    nanos = System.nanoTime();
    ctx.fireChannelRead(msg);
  }

  /** System.nanoTime() at the last read (or at install). */
  public long nanos() {
    return nanos;
  }
}
