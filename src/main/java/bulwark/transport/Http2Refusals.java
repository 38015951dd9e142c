package bulwark.transport;

import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.StreamResetException;
import io.vertx.core.http.impl.UnpooledHttpClientConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Whether an HTTP/2 stream that failed was one the peer never processed, so that it may be sent
 * again as it is (RFC 9113 8.7): reset with REFUSED_STREAM, or closed because the peer's GOAWAY
 * named a last stream id below it.
 *
 * <p>Vert.x reports a stream closed by GOAWAY with the first GOAWAY it received, while a graceful
 * server sends two (the first with the largest id, then the real last one after a PING round trip,
 * as grpc-java and Netty do); the id that counts is the last one, which Netty's connection keeps
 * ({@code lastStreamKnownByPeer}), reached through the connection's channel.
 */
public final class Http2Refusals {
  private Http2Refusals() {}

  public static boolean unprocessed(HttpConnection c, long streamId, Throwable failure) {
    if (failure instanceof StreamResetException r)
      return r.getCode() == Http2Error.REFUSED_STREAM.code();
    if (!(failure instanceof HttpClosedException) || streamId <= 0) return false;
    Object impl = c instanceof UnpooledHttpClientConnection u ? u.unwrap() : c;
    if (!(impl instanceof ConnectionBase cb)) return false;
    Http2ConnectionHandler h = cb.channel().pipeline().get(Http2ConnectionHandler.class);
    if (h == null) return false;
    Http2Connection conn = h.connection();
    return conn.goAwayReceived() && streamId > conn.local().lastStreamKnownByPeer();
  }
}
