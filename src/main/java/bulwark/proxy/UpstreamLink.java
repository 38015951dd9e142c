package bulwark.proxy;

import bulwark.filter.Exchange;
import bulwark.transport.GrpcTimeout;
import bulwark.transport.Http2Refusals;
import bulwark.upstream.Attempt;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.target.Target;
import io.vertx.core.AsyncResult;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.RequestOptions;

/**
 * The upstream side of one {@link HttpCall} on Vert.x: the pooled client it uses, the current
 * attempt's connection (or HTTP/2 stream) and request, how they are obtained and opened, and how
 * they are let go. A stream the target refused unprocessed (GOAWAY, REFUSED_STREAM) is sent again
 * here, as the same try, on another connection.
 */
final class UpstreamLink {
  /** Refused streams sent again per request, at most. */
  private static final int MAX_RESENDS = 3;

  private final HttpCall owner;
  private final Exchange ex;

  /** The pooled client this request uses; released once when it ends. */
  private UpstreamClient client;

  /** The current attempt's upstream connection, held until the request lets go of it. */
  private UpstreamClient.Conn connection;

  private HttpClientRequest request;

  /** How often a stream the target refused unprocessed went out again. */
  private int resends;

  UpstreamLink(HttpCall owner) {
    this.owner = owner;
    this.ex = owner.exchange();
  }

  HttpClientRequest request() {
    return request;
  }

  UpstreamClient client() {
    return client;
  }

  /** Gets a connection (or stream) for attempt {@code tryNo} and sends its request on it. */
  void send(Attempt attempt, int tryNo, boolean ws, boolean teTrailers) {
    UpstreamCall call = owner.call();
    UpstreamRuntime up = attempt.upstream();
    Target t = attempt.target();
    RequestOptions ro =
        UpstreamRequests.options(
            up, t, ex.request().method(), ex.upstreamUri(), ex.upstreamHeaders());
    UpstreamClient c = owner.loop().clients().client(up);
    // HTTP/2 allows TE with trailers only; a gRPC server expects it
    if (teTrailers && c.multiplexed()) ex.upstreamHeaders().set(H.TE, H.TRAILERS);
    // a client's deadline goes on as what is left of it (and of the route timeout), so that the
    // target gives up no later than the gateway does
    long left = owner.routeLeftMillis();
    if (left > 0 && ex.upstreamHeaders().contains(Grpc.GRPC_TIMEOUT))
      ex.upstreamHeaders().set(Grpc.GRPC_TIMEOUT, GrpcTimeout.format(left));
    if (client != c) {
      if (client != null) client.release();
      c.acquire();
      client = c;
    }
    // a tunnel (WebSocket) gets a connection of its own, counted apart from the pool and never
    // reused
    UpstreamClient.Conn idle = ws ? null : c.idle(t);
    if (idle != null) {
      request(attempt, idle, ro, tryNo);
      return;
    }
    (ws
            ? c.tunnel(t, UpstreamRequests.tunnelOptions(up, t))
            : c.connection(t, UpstreamRequests.connectOptions(up, t)))
        .onComplete(
            car -> {
              if (car.failed()) {
                attempt.pendingDone();
                call.failed(tryNo, car.cause());
              } else if (call.tryNo() != tryNo || !call.live()) {
                // the try ended while it waited: the new connection serves another request
                attempt.pendingDone();
                c.recycle(car.result());
              } else {
                request(attempt, car.result(), ro, tryNo);
              }
            });
  }

  /** Sends the try's request on connection c, which the request holds until it ends. */
  private void request(Attempt attempt, UpstreamClient.Conn c, RequestOptions ro, int tryNo) {
    connection = c;
    c.http
        .request(ro)
        .onComplete(
            ar -> {
              attempt.pendingDone();
              if (owner.call().tryNo() == tryNo) opened(ar, tryNo);
              else if (ar.succeeded()) ar.result().reset();
            });
  }

  private void opened(AsyncResult<HttpClientRequest> ar, int tryNo) {
    UpstreamCall call = owner.call();
    if (ar.failed()) {
      // an HTTP/2 stream that could not be made sent nothing: it may go out on another connection
      boolean h2 = connection != null && connection.h2 != null;
      if (h2 && resends < MAX_RESENDS && call.resend(tryNo)) resends++;
      else call.failed(tryNo, ar.cause());
      return;
    }
    HttpClientRequest creq = ar.result();
    if (!call.requestOpened(tryNo)) {
      creq.reset();
      return;
    }
    request = creq;
    creq.exceptionHandler(e -> failed(creq, tryNo, e));
    if (owner.webSocket()) {
      creq.connect()
          .onComplete(
              rar -> {
                if (rar.failed()) call.failed(tryNo, rar.cause());
                else if (rar.result().statusCode() == 101)
                  ResponseRelay.tunnel(owner, rar.result(), tryNo);
                else ResponseRelay.relay(owner, rar.result(), tryNo);
              });
      ex.request().resume();
      return;
    }
    creq.response()
        .onComplete(
            rar -> {
              if (rar.failed()) failed(creq, tryNo, rar.cause());
              else ResponseRelay.relay(owner, rar.result(), tryNo);
            });
    owner.sendBody(creq, tryNo);
  }

  /**
   * Attempt {@code tryNo}'s request failed: a stream the target refused unprocessed goes out again
   * on another connection when it can; once one did, the failures of the refused ones are theirs
   * alone.
   */
  private void failed(HttpClientRequest creq, int tryNo, Throwable e) {
    UpstreamCall call = owner.call();
    if (creq != request) {
      if (resends == 0) call.failed(tryNo, e);
      return;
    }
    UpstreamClient.Conn c = connection;
    if (c != null
        && c.h2 != null
        && resends < MAX_RESENDS
        && Http2Refusals.unprocessed(c.http, creq.streamId(), e)) {
      request = null;
      if (call.resend(tryNo)) {
        resends++;
        return;
      }
      request = creq;
    }
    call.failed(tryNo, e);
  }

  /** Resets the current request, if any (an HTTP/1.1 connection goes with it). */
  void resetRequest() {
    HttpClientRequest r = request;
    request = null;
    if (r != null) r.reset();
  }

  /** The current request's response is dropped (it resets the request itself). */
  void forgetRequest() {
    request = null;
  }

  /**
   * Lets go of the upstream connection: back to its pool when the request ended cleanly on it, else
   * closed (reset, abandoned, answered early); an HTTP/2 stream only frees its place.
   */
  void releaseConnection(boolean reuse) {
    UpstreamClient.Conn c = connection;
    if (c == null) return;
    connection = null;
    if (reuse) client.recycle(c);
    else UpstreamClient.discard(c);
  }

  /**
   * The response ended before the client's whole body: an HTTP/2 stream is reset (which frees it),
   * an HTTP/1.1 connection is closed; the rest of the body is dropped.
   */
  void leaveUpload() {
    if (connection != null && connection.multiplexed()) resetRequest();
    releaseConnection(false);
  }

  /** Hands the connection over to a tunnel, which closes it: the request no longer holds it. */
  UpstreamClient.Conn takeConnection() {
    UpstreamClient.Conn c = connection;
    connection = null;
    return c;
  }

  /** The request ended: its connection and client are let go. */
  void finish() {
    releaseConnection(false);
    if (client != null) client.release();
  }
}
