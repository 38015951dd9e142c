package bulwark.proxy;

import bulwark.filter.Exchange;
import bulwark.routing.Fallback;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import java.util.Collection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every answer of the gateway's own goes out through {@link #send} (Envoy's sendLocalReply): a
 * problem+json error, a bodiless answer, a route's static fallback. One place decides what such an
 * ending does: the upstream side stops, the request is marked answered, the connection is closed
 * when an unread body would desynchronise it (or the gateway drains), the rest of the body is read,
 * and the exchange finishes (metrics, access log). When the upstream's response already went out in
 * part, there is nothing left to answer with: the client's response is cut instead. A gRPC request
 * gets its problem as a gRPC status ({@link Grpc#reply}); the record keeps the HTTP status.
 */
final class LocalReply {
  private static final Logger LOG = LoggerFactory.getLogger(HttpCall.class);

  private LocalReply() {}

  /** What a local answer carries. */
  sealed interface Body {}

  /** An RFC 9457 problem; {@code extraKey}, when not null, adds a member listing {@code extra}. */
  record ProblemBody(String title, String detail, String extraKey, Collection<String> extra)
      implements Body {}

  /** No body (a CORS preflight's 204, say); headers already set on the response are kept. */
  record Empty() implements Body {}

  /** A route's static fallback answer. */
  record Static(Fallback fallback) implements Body {}

  private static final Empty EMPTY = new Empty();

  static void problem(HttpCall c, int status, String title, String detail) {
    send(c, status, new ProblemBody(title, detail, null, null));
  }

  static void empty(HttpCall c, int status) {
    send(c, status, EMPTY);
  }

  static void fallback(HttpCall c, Fallback fb) {
    send(c, fb.status(), new Static(fb));
  }

  /** A failure inside the gateway: logged with its stack, answered 500 (if nothing went out). */
  static void internalError(HttpCall c, Throwable e) {
    Exchange ex = c.exchange();
    LOG.error("request {} failed inside the gateway: {}", ex.requestId(), e.toString(), e);
    if (ex.answered() && ex.response().headWritten()) return;
    problem(
        c,
        500,
        "Internal Server Error",
        "the gateway failed to handle this request (request id " + ex.requestId() + ")");
  }

  /** The one way a local answer goes out. */
  static void send(HttpCall c, int status, Body body) {
    Exchange ex = c.exchange();
    c.stopUpstream();
    ex.markAnswered();
    HttpServerRequest req = ex.request();
    HttpServerResponse resp = ex.response();
    if (resp.headWritten()) {
      // the upstream's response went out in part: cut it, never let it look complete
      abortClient(ex);
      c.finish();
      return;
    }
    c.status(status);
    if (body instanceof ProblemBody p) c.rejected(p.detail());
    // an unread body would desynchronise the connection; a draining gateway closes it anyway
    if (c.loop().plane().draining() || (!req.isEnded() && c.expectsBody())) closeAfterResponse(ex);
    if (!req.isEnded()) req.resume();
    switch (body) {
      // a gRPC client reads errors from grpc-status, not from a problem+json body
      case ProblemBody p when c.grpc() -> {
        c.grpcStatus(Grpc.status(status));
        Grpc.reply(resp, status, p.title() + ": " + p.detail(), ex.requestId());
      }
      case ProblemBody p ->
          Problem.send(
              resp,
              status,
              p.title(),
              p.detail(),
              ex.requestId(),
              req.path(),
              p.extraKey(),
              p.extra());
      case Empty e -> resp.setStatusCode(status).putHeader(H.X_REQUEST_ID, ex.requestId()).end();
      case Static s -> {
        if (c.grpc()) c.grpcStatus(Grpc.statusHeader(s.fallback().headers()));
        resp.setStatusCode(status);
        s.fallback().headers().forEach(resp::putHeader);
        resp.putHeader(H.X_REQUEST_ID, ex.requestId());
        resp.end(Buffer.buffer(s.fallback().body()));
      }
    }
    c.finish();
  }

  /**
   * Cuts a response whose head was sent: HTTP/2 resets the stream (RST_STREAM); HTTP/1.x closes the
   * connection without the terminating chunk, or short of the Content-Length.
   */
  static void abortClient(Exchange ex) {
    if (ex.request().version() == HttpVersion.HTTP_2) ex.response().reset();
    else ex.request().connection().close();
  }

  /**
   * Asks for the client connection to be closed after this response. HTTP/1.x only: Connection is a
   * connection-specific header that HTTP/2 forbids (RFC 9113 8.2.2), and a client rejects the whole
   * response when it carries one.
   */
  static void closeAfterResponse(Exchange ex) {
    if (ex.request().version() != HttpVersion.HTTP_2)
      ex.response().putHeader(H.CONNECTION, H.CLOSE);
  }
}
