package bulwark.proxy;

import bulwark.filter.Chain;
import bulwark.filter.Exchange;
import bulwark.observe.GrpcCall;
import bulwark.observe.RequestRecord;
import bulwark.observe.Telemetry;
import bulwark.routing.Fallback;
import bulwark.routing.Route;
import bulwark.upstream.Attempt;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.resilience.RetryPolicy;
import bulwark.upstream.target.Outcome;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;

/**
 * One request on the real path, from entry to its end: the Vert.x side of its {@link UpstreamCall}
 * (timers here; connections and the upstream request in its {@link UpstreamLink}), the answers of
 * the gateway's own for its filters, and the one ending ({@link #finish}) that every path reaches
 * once. The request body goes up through {@link BodyUpload}, the response comes back through {@link
 * ResponseRelay}.
 */
final class HttpCall extends CallTimers implements Exchange.Replies, Chain {
  private static final int CLIENT_GONE = 499;

  private final Loop loop;
  private final Exchange ex;

  /** The client sent Transfer-Encoding (read before hop-by-hop headers are removed). */
  private final boolean chunkedRequest;

  /** The client takes trailers: it sent TE: trailers (read before hop-by-hop headers go). */
  private final boolean teTrailers;

  /** A gRPC request ({@link Grpc#is}), read on arrival (before the headers change). */
  private final boolean grpc;

  /**
   * The final grpc-status, once known (the upstream's, or the gateway's own error's); {@link
   * GrpcCall#NONE} until then.
   */
  private int grpcStatus = GrpcCall.NONE;

  /**
   * The gRPC-Web form of the request (its content type is application/grpc-web...), read on arrival
   * (before the headers change); null when it is not gRPC-Web.
   */
  private final GrpcWeb grpcWeb;

  /** The request went upstream as gRPC (its route has grpcWeb): the response is translated back. */
  private boolean grpcWebTranslated;

  /** A WebSocket (HTTP/1.1 Upgrade) request. */
  private boolean webSocket;

  private UpstreamCall call;

  /** The client's request body on its way up; null until the first attempt reads it. */
  private BodyUpload upload;

  /** The upstream side: client, connection, request. */
  private final UpstreamLink link;

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
    this.teTrailers = ex.request().headers().contains(H.TE, H.TRAILERS, true);
    this.grpc = Grpc.is(ex.request());
    this.grpcWeb = grpc ? null : GrpcWeb.of(ex.request().getHeader(H.CONTENT_TYPE));
    this.link = new UpstreamLink(this);
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
    return link.request();
  }

  /** The request's gRPC-Web form (its errors are gRPC-Web), or null when it is not gRPC-Web. */
  GrpcWeb grpcWeb() {
    return grpcWeb;
  }

  /** The translation of the upstream's gRPC response to gRPC-Web; null when there is none. */
  GrpcWeb.Response grpcWebResponse(String upstreamContentType) {
    return grpcWebTranslated && GrpcWeb.grpcResponse(upstreamContentType)
        ? grpcWeb.response()
        : null;
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

  /**
   * Whether the request goes upstream chunked ({@link UpstreamRequests#chunked}); a decoded body
   * always does (its length is known only at its end).
   */
  boolean sendsChunked() {
    return ex.requestDecoder() != null || UpstreamRequests.chunked(ex.request(), chunkedRequest);
  }

  // ---- after the filters ----

  /** The end of the filter chain: the request goes upstream. */
  @Override
  public Future<Void> next(Exchange e) {
    if (ex.answered()) return Future.succeededFuture();
    Route route = ex.route();
    if (grpcWeb != null && route.grpcWeb() && !translateGrpcWeb()) return Future.succeededFuture();
    HttpServerRequest req = ex.request();
    // a gRPC call is a POST: idempotent when the route lists its method as safe
    boolean idempotent =
        RetryPolicy.idempotent(req.method())
            || !route.grpcSafeMethods().isEmpty() && Grpc.is(req) && route.grpcSafe(req.path());
    call = new UpstreamCall(this, route, ex, idempotent, webSocket);
    routeTimeoutSpent(ex.heldNanos() / 1_000_000);
    // remediation's useFallback: the route answers as if its breaker were open
    call.start(route.fallback() != null && loop.plane().forcedFallback(route.name()));
    return Future.succeededFuture();
  }

  /**
   * A gRPC-Web request on a grpcWeb route goes upstream as gRPC (after the filters, which see it as
   * the client sent it); false when it cannot (answered).
   */
  private boolean translateGrpcWeb() {
    if (grpcWeb.mode() == GrpcWeb.Mode.TEXT) {
      if (ex.requestDecoder() != null) {
        LocalReply.problem(
            this,
            415,
            "Unsupported Media Type",
            "a gRPC-Web text body cannot also have a Content-Encoding");
        return false;
      }
      ex.decodeRequest(new GrpcWeb.TextDecoder());
    }
    grpcWeb.translateRequest(ex.upstreamHeaders());
    grpcWebTranslated = true;
    return true;
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
    link.send(attempt, tryNo, ws, teTrailers);
  }

  /** Attempt {@code tryNo}'s request is open: its body goes up (or, on a retry, the kept one). */
  void sendBody(HttpClientRequest creq, int tryNo) {
    HttpServerRequest req = ex.request();
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
  public long routeTimeoutMillis(long routeMillis) {
    // a gRPC client's deadline bounds the route timeout
    long grpc = Grpc.timeoutMillis(ex.request().getHeader(Grpc.GRPC_TIMEOUT));
    return grpc > 0 && (routeMillis <= 0 || grpc < routeMillis) ? grpc : routeMillis;
  }

  @Override
  public void resetRequest() {
    link.resetRequest();
  }

  /** The current request's response is dropped (it resets the request itself). */
  void forgetRequest() {
    link.forgetRequest();
  }

  @Override
  public void releaseConnection() {
    link.releaseConnection(false);
  }

  /** Lets go of the upstream connection: reused when the request ended cleanly on it. */
  void releaseConnection(boolean reuse) {
    link.releaseConnection(reuse);
  }

  /** The response ended before the client's whole body: the upstream exchange is left. */
  void leaveUpload() {
    link.leaveUpload();
  }

  /**
   * The upstream's trailers go to the client when it can take them: over HTTP/2, or over chunked
   * HTTP/1.1 when it sent TE: trailers.
   */
  void copyTrailers(HttpClientResponse cresp) {
    MultiMap t = cresp.trailers();
    if (t.isEmpty()) return;
    HttpServerResponse resp = ex.response();
    if (ex.request().version() == HttpVersion.HTTP_2 || teTrailers && resp.isChunked())
      ForwardingHeaders.copyResponseHeaders(t, resp.trailers());
  }

  /** Hands the connection over to a tunnel, which closes it: the request no longer holds it. */
  UpstreamClient.Conn takeConnection() {
    return link.takeConnection();
  }

  UpstreamClient client() {
    return link.client();
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
    LocalReply.internalError(this, e);
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
    ex.closeBodyCodecs();
    UpstreamSummary u = call == null ? null : call.close();
    link.finish();
    RequestRecord r =
        UpstreamSummary.record(ex, status, rejectDetail, u, System.nanoTime(), grpcCall());
    loop.plane().requestFinished();
    loop.telemetry().requestFinished(ex, r);
    loop.plane().accessLog().log(r);
  }

  /**
   * The gRPC view of the finished request, null when it is not gRPC: a client that left first
   * cancelled the call (CANCELLED, as a gRPC server records it); a stream that ended without a
   * grpc-status (cut after the upstream failed mid-response) has none.
   */
  private GrpcCall grpcCall() {
    if (!grpc && grpcWeb == null) return null;
    int s = grpcStatus == GrpcCall.NONE && status == CLIENT_GONE ? GrpcCall.CANCELLED : grpcStatus;
    return GrpcCall.of(ex.request().path(), s);
  }

  /** Whether this is a gRPC request ({@link Grpc#is}, read on arrival). */
  boolean grpc() {
    return grpc;
  }

  /** The request's final grpc-status (a gRPC request's; ignored for others). */
  void grpcStatus(int status) {
    this.grpcStatus = status;
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
