package bulwark.proxy;

import bulwark.filter.Chain;
import bulwark.filter.Exchange;
import bulwark.observe.RequestRecord;
import bulwark.observe.Telemetry;
import bulwark.routing.Fallback;
import bulwark.routing.Route;
import bulwark.upstream.Attempt;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.resilience.RetryPolicy;
import bulwark.upstream.target.Outcome;
import bulwark.upstream.target.Target;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request on the real path, from entry to its end: the Vert.x side of its {@link UpstreamCall}
 * (connections, the upstream request, timers), the answers of the gateway's own for its filters,
 * and the one ending ({@link #finish}) that every path reaches once. The request body goes up
 * through {@link BodyUpload}, the response comes back through {@link ResponseRelay}.
 */
final class HttpCall extends CallTimers implements Exchange.Replies, Chain {
  private static final Logger LOG = LoggerFactory.getLogger(HttpCall.class);
  private static final int CLIENT_GONE = 499;

  private final Loop loop;
  private final Exchange ex;

  /** The client sent Transfer-Encoding (read before hop-by-hop headers are removed). */
  private final boolean chunkedRequest;

  /** A WebSocket (HTTP/1.1 Upgrade) request. */
  private boolean webSocket;

  private UpstreamCall call;

  /** The client's request body on its way up; null until the first attempt reads it. */
  private BodyUpload upload;

  private HttpClientRequest upstreamRequest;

  /** The pooled client this request uses; released once when it ends. */
  private UpstreamClient client;

  /** The current attempt's upstream connection, held until the request lets go of it. */
  private UpstreamClient.Conn connection;

  /** What the client got, once known: 0 until then (the response's status is read at the end). */
  private int status;

  /** The detail of the gateway's own error answer, for the audit log; null when none. */
  private String rejectDetail;

  private boolean finished;

  HttpCall(Loop loop, Exchange ex) {
    super(loop.vertx());
    this.loop = loop;
    this.ex = ex;
    this.chunkedRequest = ex.request().headers().contains(H.TRANSFER_ENCODING);
    ex.replies(this);
  }

  Loop loop() {
    return loop;
  }

  Exchange exchange() {
    return ex;
  }

  UpstreamCall call() {
    return call;
  }

  HttpClientRequest upstreamRequest() {
    return upstreamRequest;
  }

  void webSocket(boolean ws) {
    this.webSocket = ws;
  }

  boolean webSocket() {
    return webSocket;
  }

  /** Whether the request still waits for an answer: not answered, failed, or left. */
  boolean live() {
    return !ex.answered();
  }

  /** A body is expected: a Content-Length above 0, or chunked. */
  boolean expectsBody() {
    String cl = ex.request().getHeader(H.CONTENT_LENGTH);
    return chunkedRequest || (cl != null && !cl.trim().equals("0"));
  }

  /** Whether the request goes upstream chunked ({@link UpstreamRequests#chunked}). */
  boolean sendsChunked() {
    return UpstreamRequests.chunked(ex.request(), chunkedRequest);
  }

  // ---- after the filters ----

  /** The end of the filter chain: the request goes upstream. */
  @Override
  public Future<Void> next(Exchange e) {
    if (ex.answered()) return Future.succeededFuture();
    Route route = ex.route();
    call =
        new UpstreamCall(this, route, ex, RetryPolicy.idempotent(ex.request().method()), webSocket);
    routeTimeoutSpent(ex.heldNanos() / 1_000_000);
    // remediation's useFallback: the route answers as if its breaker were open
    call.start(route.fallback() != null && loop.plane().forcedFallback(route.name()));
    return Future.succeededFuture();
  }

  // ---- UpstreamIo ----

  @Override
  public boolean tunnelFree(Attempt attempt) {
    return loop.clients().client(attempt.upstream()).tunnelFree(attempt.target());
  }

  @Override
  public int maxTunnelsPerTarget(UpstreamRuntime up) {
    return loop.clients().client(up).maxTunnelsPerTarget();
  }

  @Override
  public void tryStarted(Attempt attempt, int tryNo) {
    ex.tryStarted(attempt.upstream(), attempt.target(), tryNo);
    Telemetry telemetry = loop.telemetry();
    telemetry.tryStarted(ex, attempt.target());
    // the try's trace context goes on its request: the one step where telemetry writes to it
    telemetry.propagate(ex, ex.upstreamHeaders());
  }

  @Override
  public void send(Attempt attempt, int tryNo, boolean ws) {
    UpstreamRuntime up = attempt.upstream();
    Target t = attempt.target();
    HttpServerRequest req = ex.request();
    RequestOptions ro =
        UpstreamRequests.options(up, t, req.method(), ex.upstreamUri(), ex.upstreamHeaders());
    UpstreamClient c = loop.clients().client(up);
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
            ? c.tunnel(t, UpstreamRequests.connectOptions(up, t))
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
              if (call.tryNo() == tryNo) opened(ar, tryNo);
              else if (ar.succeeded()) ar.result().reset();
            });
  }

  private void opened(AsyncResult<HttpClientRequest> ar, int tryNo) {
    if (ar.failed()) {
      call.failed(tryNo, ar.cause());
      return;
    }
    HttpClientRequest creq = ar.result();
    if (!call.requestOpened(tryNo)) {
      creq.reset();
      return;
    }
    upstreamRequest = creq;
    creq.exceptionHandler(e -> call.failed(tryNo, e));
    HttpServerRequest req = ex.request();
    if (webSocket) {
      creq.connect()
          .onComplete(
              rar -> {
                if (rar.failed()) call.failed(tryNo, rar.cause());
                else if (rar.result().statusCode() == 101)
                  ResponseRelay.tunnel(this, rar.result(), tryNo);
                else ResponseRelay.relay(this, rar.result(), tryNo);
              });
      req.resume();
      return;
    }
    creq.response()
        .onComplete(
            rar -> {
              if (rar.failed()) call.failed(tryNo, rar.cause());
              else ResponseRelay.relay(this, rar.result(), tryNo);
            });
    if (sendsChunked()) creq.setChunked(true);
    if (upload != null) {
      // a retry: the client's request has ended and its body (if any) was kept for replay
      upload.replay(creq);
      call.requestSent(tryNo);
      return;
    }
    RetryPolicy rp = call.attempt().upstream().retry();
    upload = new BodyUpload(this, call.replay() && rp != null ? rp.maxBufferedBody() : 0);
    upload.start(creq, tryNo);
  }

  @Override
  public void resetRequest() {
    HttpClientRequest r = upstreamRequest;
    upstreamRequest = null;
    if (r != null) r.reset();
  }

  /**
   * The current request's response is dropped (it resets the request itself): nothing more to
   * reset.
   */
  void forgetRequest() {
    upstreamRequest = null;
  }

  @Override
  public void releaseConnection() {
    releaseConnection(false);
  }

  /**
   * Lets go of the upstream connection: back to its stack when the request ended cleanly on it,
   * else closed (reset, abandoned, answered early).
   */
  void releaseConnection(boolean reuse) {
    UpstreamClient.Conn c = connection;
    if (c == null) return;
    connection = null;
    if (reuse) client.recycle(c);
    else UpstreamClient.discard(c);
  }

  /** Hands the connection over to a tunnel, which closes it: the request no longer holds it. */
  UpstreamClient.Conn takeConnection() {
    UpstreamClient.Conn c = connection;
    connection = null;
    return c;
  }

  UpstreamClient client() {
    return client;
  }

  @Override
  public boolean bodyStarted() {
    return upload != null;
  }

  @Override
  public boolean bodyReplayable() {
    return upload == null || ex.request().isEnded() && upload.replayable();
  }

  @Override
  public boolean clientHeadWritten() {
    return ex.response().headWritten();
  }

  @Override
  public void tryEnded(Attempt attempt, Outcome outcome, int status) {
    loop.telemetry().tryEnded(ex, attempt.target(), outcome, status, attempt.nanos());
  }

  @Override
  public void retried(int retries) {
    ex.retried(retries);
    loop.telemetry().retried(ex);
  }

  @Override
  public void retryBudgetExhausted() {
    loop.telemetry().retryBudgetExhausted(ex);
  }

  @Override
  public void retryAfter(long seconds) {
    ex.response().putHeader("Retry-After", Long.toString(seconds));
  }

  @Override
  public void reply(int status, String title, String detail) {
    LocalReply.problem(this, status, title, detail);
  }

  @Override
  public void replyFallback(Fallback fallback) {
    LocalReply.fallback(this, fallback);
  }

  // ---- Exchange.Replies: the filters' answers ----

  @Override
  public void reject(int status, String title, String detail) {
    LocalReply.problem(this, status, title, detail);
  }

  @Override
  public void respond(int status) {
    LocalReply.empty(this, status);
  }

  // ---- endings ----

  /** The upstream side stops (timers, the upstream request), if the request went that far. */
  void stopUpstream() {
    if (call != null) call.stop();
  }

  void internalError(Throwable e) {
    LOG.error("request {} failed inside the gateway: {}", ex.requestId(), e.toString(), e);
    if (ex.answered() && ex.response().headWritten()) return;
    LocalReply.problem(
        this,
        500,
        "Internal Server Error",
        "the gateway failed to handle this request (request id " + ex.requestId() + ")");
  }

  void clientGone() {
    if (ex.answered()) return;
    ex.markAnswered();
    status = CLIENT_GONE;
    stopUpstream();
    finish();
  }

  /**
   * Ends the request once: the attempt lets go of its permits, the connection and client are
   * released, observers hear.
   */
  void finish() {
    if (finished) return;
    finished = true;
    if (upload != null) upload.finished();
    UpstreamSummary u = call == null ? null : call.close();
    releaseConnection(false);
    if (client != null) client.release();
    RequestRecord r = UpstreamSummary.record(ex, status, rejectDetail, u, System.nanoTime());
    loop.plane().requestFinished();
    loop.telemetry().requestFinished(ex, r);
    loop.plane().accessLog().log(r);
  }

  /** The request's answer has this status (the upstream's, the gateway's own, 101, 499). */
  void status(int status) {
    this.status = status;
  }

  /** The gateway answered with an error of its own, for this reason. */
  void rejected(String detail) {
    this.rejectDetail = detail;
  }
}
