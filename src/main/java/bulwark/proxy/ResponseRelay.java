package bulwark.proxy;

import bulwark.filter.BodyEncoder;
import bulwark.filter.Exchange;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.NetSocket;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream's response on its way to the client: streamed with back-pressure, its head copied
 * onto the client response only with the first body bytes (or the end), so that a failure before
 * them is still answered cleanly; or, after a 101, a tunnel that pumps bytes both ways.
 */
final class ResponseRelay {
  private static final Logger LOG = LoggerFactory.getLogger(ResponseRelay.class);

  private final HttpCall owner;
  private final Exchange ex;
  private final HttpClientResponse cresp;

  /**
   * Response bytes received from the upstream in the current read, not yet written to the client.
   */
  private Buffer pending;

  /** {@link #pending} is a buffer of the relay's own (not the upstream's first chunk). */
  private boolean pendingGrowable;

  /** The upstream's head has been copied onto the client response. */
  private boolean headCopied;

  /**
   * Encodes (compresses) the body on its way, when a filter asked for it and the head allows it;
   * null: the body goes as it came. The exchange closes it when the request ends, however it ends.
   */
  private BodyEncoder encoder;

  /**
   * The response's translation to gRPC-Web (a gRPC-Web request sent upstream as gRPC); null: none.
   * Before the encoder: its output is what a gRPC-Web client reads.
   */
  private final GrpcWeb.Response grpcWeb;

  private ResponseRelay(HttpCall owner, HttpClientResponse cresp) {
    this.owner = owner;
    this.ex = owner.exchange();
    this.cresp = cresp;
    this.grpcWeb = owner.grpcWebResponse(cresp.getHeader(H.CONTENT_TYPE));
  }

  /**
   * Attempt {@code tryNo}'s response head came: relay it, unless the call drops it (retry, or
   * over).
   */
  static void relay(HttpCall owner, HttpClientResponse cresp, int tryNo) {
    UpstreamCall call = owner.call();
    boolean current = call.tryNo() == tryNo;
    if (!call.head(tryNo, cresp.statusCode(), Grpc.trailersOnlyStatus(cresp))) {
      // this answer is dropped (its connection with it): the request is over, or goes elsewhere
      if (current && call.state() == CallState.BACKOFF) owner.forgetRequest();
      drop(cresp);
      return;
    }
    owner.status(cresp.statusCode());
    new ResponseRelay(owner, cresp).start(tryNo);
  }

  /**
   * Drops an upstream response unread (its stream or connection is reset). The reset reaches the
   * response as an exception: it is expected here, and handled, so Vert.x does not log it as an
   * unhandled error.
   */
  private static void drop(HttpClientResponse cresp) {
    cresp.exceptionHandler(e -> {});
    cresp.request().reset();
  }

  // Chunks that arrive in one read of the upstream connection are written together at the end of
  // that read, and a response whose last chunk arrives with its end goes out with it: a small
  // response costs one write to the client instead of two, with no added delay for streams.
  private void start(int tryNo) {
    cresp.handler(
        buf -> {
          if (!owner.live()) return;
          if (pending == null) {
            pending = buf;
            owner.loop().context().runOnContext(v -> flushPending());
          } else {
            // the second chunk of a read: one buffer that the next ones are appended to (copying
            // the whole of pending for each chunk cost a read of n chunks n^2/2 chunk copies)
            if (!pendingGrowable) {
              pending =
                  Buffer.buffer(Math.max(16 << 10, 4 * (pending.length() + buf.length())))
                      .appendBuffer(pending);
              pendingGrowable = true;
            }
            pending.appendBuffer(buf);
          }
        });
    cresp.exceptionHandler(e -> owner.call().failed(tryNo, e));
    cresp.endHandler(
        v -> {
          boolean grpc = owner.grpc() || grpcWeb != null;
          if (!owner.call().responseEnded(grpc ? Grpc.finalStatus(cresp) : -1)) return;
          ex.markAnswered();
          copyHead();
          HttpServerRequest req = ex.request();
          if (!req.isEnded()) {
            // the upstream answered before the whole request body: that (HTTP/1.1) upstream
            // connection is
            // left mid-request and must not go back to the pool, where it would stay busy for good
            // (a reset
            // after the response does not free it); the rest of the client's body is read and
            // dropped
            owner.leaveUpload();
            req.resume();
          } else {
            owner.releaseConnection(!owner.webSocket() && keepsAlive(cresp));
          }
          Buffer last = pending;
          pending = null;
          pendingGrowable = false;
          // gRPC-Web carries the trailers in the body, as a last frame
          if (grpcWeb != null) last = grpcWeb.end(last, cresp.trailers());
          else owner.copyTrailers(cresp);
          if (grpc) owner.grpcStatus(Grpc.finalStatus(cresp));
          if (encoder != null && (last = encode(last, true)) == null) return;
          if (last == null) ex.response().end();
          else ex.response().end(last);
          owner.finish();
        });
  }

  private void flushPending() {
    Buffer b = pending;
    if (b == null || !owner.live()) return;
    pending = null;
    pendingGrowable = false;
    copyHead();
    HttpServerResponse resp = ex.response();
    if (grpcWeb != null && (b = grpcWeb.data(b)).length() == 0) return;
    if (encoder != null) {
      b = encode(b, false);
      // a piece the encoder keeps for now (or an encoder that failed) writes nothing
      if (b == null || b.length() == 0) return;
    }
    resp.write(b);
    if (resp.writeQueueFull()) {
      cresp.pause();
      resp.drainHandler(v -> cresp.resume());
    }
  }

  /**
   * Puts the upstream's status and headers on the client response, right before its first write.
   */
  private void copyHead() {
    if (headCopied) return;
    headCopied = true;
    HttpServerResponse resp = ex.response();
    HttpServerRequest req = ex.request();
    int status = cresp.statusCode();
    resp.setStatusCode(status);
    MultiMap h = resp.headers();
    // draining may have begun while this request was in flight: its keep-alive connection ends with
    // it
    boolean close = h.contains(H.CONNECTION) || owner.loop().plane().draining();
    ForwardingHeaders.copyResponseHeaders(cresp.headers(), h);
    if (grpcWeb != null) grpcWeb.head(cresp.headers(), h);
    h.set(H.X_REQUEST_ID, ex.requestId());
    ex.applyResponseHeaderHooks(h);
    if (close) LocalReply.closeAfterResponse(ex);
    boolean noBody =
        req.method() == HttpMethod.HEAD || status == 204 || status == 304 || status < 200;
    // after the header hooks: the encoding sees (and changes) the head the client gets
    if (!noBody) encoder = ex.beginResponseBody(status, h);
    if (!noBody && !h.contains(H.CONTENT_LENGTH) && req.version() == HttpVersion.HTTP_1_1)
      resp.setChunked(true);
  }

  /**
   * The encoded form of a piece of the body ({@code last}: the end, its trailer included); null
   * when the encoder failed, and the response was cut.
   */
  private Buffer encode(Buffer b, boolean last) {
    try {
      return last ? encoder.finish(b) : encoder.encode(b);
    } catch (RuntimeException e) {
      LOG.error(
          "request {}: the {} encoder failed, the response is cut: {}",
          ex.requestId(),
          encoder.name(),
          e.toString());
      ex.markAnswered();
      owner.stopUpstream();
      LocalReply.abortClient(ex);
      owner.finish();
      return null;
    }
  }

  /**
   * Whether the upstream keeps the connection open after this response (HTTP/1.1 without close).
   */
  private static boolean keepsAlive(HttpClientResponse cresp) {
    if (cresp.version() != HttpVersion.HTTP_1_1) return false;
    String c = cresp.headers().get(H.CONNECTION);
    return c == null || !c.toLowerCase(Locale.ROOT).contains("close");
  }

  /**
   * WebSocket (or any HTTP/1.1 upgrade) pass-through: after the upstream's 101, bytes flow both
   * ways. The tunnel's upstream connection counts against maxTunnelsPerTarget until it closes, and
   * the request no longer counts against the upstream's in-flight cap (the call gave its place up).
   */
  static void tunnel(HttpCall owner, HttpClientResponse cresp, int tryNo) {
    if (!owner.call().upgraded(tryNo)) {
      cresp.request().reset();
      return;
    }
    Exchange ex = owner.exchange();
    ex.markAnswered();
    owner.status(101);
    // the tunnel owns the connection now; its close is counted when it comes
    UpstreamClient.Conn conn = owner.takeConnection();
    UpstreamClient client = owner.client();
    NetSocket upstream = cresp.netSocket();
    HttpServerResponse resp = ex.response();
    cresp.headers().forEach(e -> resp.headers().add(e.getKey(), e.getValue()));
    resp.headers().set("X-Request-Id", ex.requestId());
    String what = ex.target() == null ? "?" : ex.target().key();
    ex.request()
        .toNetSocket()
        .onComplete(
            ar -> {
              if (ar.failed()) {
                upstream.close();
                if (conn != null) client.tunnelClosed(conn);
                owner.finish();
                return;
              }
              NetSocket down = ar.result();
              pump(ex, down, upstream, what);
              pump(ex, upstream, down, what);
              down.closeHandler(
                  v -> {
                    discardUnread(down);
                    upstream.close();
                  });
              upstream.closeHandler(
                  v -> {
                    discardUnread(upstream);
                    down.close();
                    if (conn != null) client.tunnelClosed(conn);
                    owner.finish();
                  });
            });
  }

  /**
   * A closed socket that was paused for back-pressure may still hold bytes it read: Vert.x 5.1
   * keeps them in the connection's queue as pooled Netty buffers and does not release them when the
   * channel closes. Resuming with a handler that drops them hands each through Vert.x's own
   * copy-and-release path, so nothing is left to leak.
   */
  private static void discardUnread(NetSocket socket) {
    socket.handler(b -> {});
    socket.resume();
  }

  /**
   * One direction of a tunnel, with back-pressure. A reset or other error on either socket ends the
   * tunnel (both close); it is expected, so it is handled here rather than logged by Vert.x as an
   * unhandled error with nothing to name it.
   */
  private static void pump(Exchange ex, NetSocket from, NetSocket to, String target) {
    from.handler(
        buf -> {
          to.write(buf);
          if (to.writeQueueFull()) {
            from.pause();
            to.drainHandler(v -> from.resume());
          }
        });
    from.endHandler(v -> to.end());
    from.exceptionHandler(
        e -> {
          if (LOG.isDebugEnabled()) {
            LOG.debug(
                "request {} (route {}): tunnel to {} ended: {}",
                ex.requestId(),
                ex.route() == null ? "?" : ex.route().name(),
                target,
                Details.safeMessage(e));
          }
          from.close();
          to.close();
        });
  }
}
