package bulwark.proxy;

import bulwark.filter.Chain;
import bulwark.filter.Exchange;
import bulwark.filter.FilterException;
import bulwark.routing.Fallback;
import bulwark.routing.PathNormalizer;
import bulwark.routing.PathPattern;
import bulwark.routing.Route;
import bulwark.routing.RouteResult;
import bulwark.upstream.Admission;
import bulwark.upstream.Attempt;
import bulwark.upstream.Outcome;
import bulwark.upstream.Target;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.UpstreamTls;
import bulwark.upstream.resilience.OverloadGuard;
import bulwark.upstream.resilience.RetryPolicy;
import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.NetSocket;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The streaming forwarder. One instance per event loop (verticle): its upstream clients, and so
 * their connection pools, belong to that event loop. Bodies stream both ways with back-pressure and
 * are never aggregated. Every per-request event runs on the same event loop.
 */
public final class ProxyHandler implements Handler<HttpServerRequest> {
  private static final Logger LOG = LoggerFactory.getLogger(ProxyHandler.class);
  private static final int CLIENT_GONE = 499;

  private final Vertx vertx;
  /** The event loop this handler, its exchanges and its upstream pools run on. */
  private final io.vertx.core.Context context;
  private final DataPlane plane;
  /** The gateway's telemetry; built before the data plane and never replaced. */
  private final bulwark.observe.Telemetry telemetry;
  private final Map<UpstreamRuntime, UpstreamClient> clients = new IdentityHashMap<>();

  public ProxyHandler(Vertx vertx, DataPlane plane) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.plane = plane;
    this.telemetry = plane.telemetry();
  }

  @Override
  public void handle(HttpServerRequest req) {
    req.pause();
    plane.requestStarted();
    Snapshot snap = plane.snapshot();
    String peer = req.remoteAddress() == null ? "unknown" : req.remoteAddress().hostAddress();
    String givenId = req.getHeader(H.X_REQUEST_ID);
    String requestId = RequestIds.accept(givenId);
    Exchange ex = new Exchange(req, requestId, snap.forwarding().clientIp(peer, req.headers()));
    ex.requestIdFromClient = requestId == givenId;
    ex.rejecter(this::reject);
    ex.responder(this::answer);
    telemetry.requestStarted(ex);
    HttpServerResponse resp = ex.response;
    ex.chunkedRequest = req.headers().contains(H.TRANSFER_ENCODING);
    if (plane.draining()) closeAfterResponse(ex);
    resp.closeHandler(v -> clientGone(ex));
    req.exceptionHandler(e -> clientGone(ex));
    try {
      HostAndPort authority;
      try {
        authority = RequestHost.of(req);
      } catch (RequestHost.Invalid e) {
        closeAfterResponse(ex);
        reject(ex, 400, "Bad Request", e.getMessage());
        return;
      }
      String host = authority == null ? null : authority.host();
      String method = req.method().name();
      String path;
      try {
        path = PathNormalizer.decoded(req.path());
      } catch (PathNormalizer.RejectedPath e) {
        reject(ex, 400, "Bad Request", e.getMessage());
        return;
      }
      ex.path = path;
      RouteResult result = snap.table().lookup(method, host, path, req.headers(), req.query());
      switch (result) {
        case RouteResult.NotFound nf -> reject(ex, 404, "Not Found", "no route matches " + method + " " + path);
        case RouteResult.MethodNotAllowed m -> {
          resp.putHeader("Allow", String.join(", ", m.allowed()));
          reject(ex, 405, "Method Not Allowed", method + " is not allowed on " + path + "; allowed: " + String.join(", ", m.allowed()));
        }
        case RouteResult.NotAcceptable na -> {
          ex.status = 406;
          req.resume();
          Problem.send(resp, 406, "Not Acceptable", "API version '" + na.requested() + "' does not exist for " + path
              + "; available: " + String.join(", ", na.available()), ex.requestId, path, "availableVersions", na.available());
          finish(ex);
        }
        case RouteResult.Found f -> route(ex, snap, f, peer, host, authority);
      }
    } catch (RuntimeException e) {
      internalError(ex, e);
    }
  }

  private void route(Exchange ex, Snapshot snap, RouteResult.Found f, String peer, String host, HostAndPort authority) {
    HttpServerRequest req = ex.request;
    Route route = f.route();
    ex.route = route;
    ex.params = f.params();
    long max = snap.maxBodyBytes();
    String cl = req.getHeader(H.CONTENT_LENGTH);
    if (max > 0 && cl != null) {
      long len;
      try {
        len = Long.parseLong(cl.trim());
      } catch (NumberFormatException e) {
        len = -1;
      }
      if (len < 0) {
        closeAfterResponse(ex);
        reject(ex, 400, "Bad Request", "invalid Content-Length");
        return;
      }
      if (len > max) {
        tooLarge(ex, max);
        return;
      }
    }
    // routing, the filters and the upstream all see the one normalised path (re-encoded for the wire)
    String path = ex.path;
    if (!route.stripPrefix().isEmpty()) path = strip(path, route.stripPrefix());
    if (route.rewrite() != null) path = PathPattern.expand(route.rewrite(), ex.params);
    String q = req.query();
    path = PathNormalizer.encode(path);
    ex.upstreamUri = q == null ? path : path + "?" + q;
    boolean ws = isWebSocket(req);
    String hostHeader = authority == null ? null : authority.toString();
    ex.webSocket = ws;
    ex.upstreamHeaders = snap.forwarding().upstreamHeaders(req.headers(), req.version() != HttpVersion.HTTP_2, peer, req.isSSL(), hostHeader, ex.requestId, ws);
    if (route.filters().length == 0) {
      forward(ex);
    } else {
      Chain.run(route.filters(), 0, ex, this::forward).onFailure(e -> internalError(ex, e));
    }
  }

  /** Removes as many leading segments as the prefix has (the prefix may hold {params}). */
  static String strip(String path, String prefix) {
    int segs = 0;
    for (int i = 0; i < prefix.length(); i++) if (prefix.charAt(i) == '/') segs++;
    int idx = 0;
    for (int s = 0; s < segs; s++) {
      int next = path.indexOf('/', idx + 1);
      if (next < 0) return "/";
      idx = next;
    }
    return path.substring(idx);
  }

  private static boolean isWebSocket(HttpServerRequest req) {
    if (req.version() == HttpVersion.HTTP_2) return false;
    String up = req.getHeader(H.UPGRADE);
    String conn = req.getHeader(H.CONNECTION);
    return up != null && up.equalsIgnoreCase("websocket") && conn != null && conn.toLowerCase().contains("upgrade");
  }

  private Future<Void> forward(Exchange ex) {
    if (ex.done) return Future.succeededFuture();
    Route route = ex.route;
    // remediation's useFallback: the route answers as if its breaker were open
    boolean forced = route.fallback() != null && plane.forcedFallback(route.name());
    admit(ex, route.upstream(), forced);
    return Future.succeededFuture();
  }

  /**
   * Admits the request to upstream {@code up} (the route's, or its fallback's) in one step, then
   * sends its first attempt, or answers the refusal.
   */
  private void admit(Exchange ex, UpstreamRuntime up, boolean breakerForcedOpen) {
    if (up.retry() != null) ex.replay = RetryPolicy.idempotent(ex.request.method()) || ex.route.retryNonIdempotent();
    switch (up.admit(ex.route.name(), ex, breakerForcedOpen)) {
      case Admission.Admitted a -> {
        upstreamStarted(ex);
        ex.upstream = up;
        sendTry(ex, a.attempt());
      }
      case Admission.Refused r -> refused(ex, up, r);
    }
  }

  /** The request goes upstream: the route timeout starts (once, a fallback keeps it). */
  private void upstreamStarted(Exchange ex) {
    if (ex.upstreamStartNanos != 0) return;
    Route route = ex.route;
    if (route.timeoutMillis() > 0) {
      ex.totalTimer = vertx.setTimer(route.timeoutMillis(), id -> {
        ex.totalTimer = -1;
        // after the response head, the target failed mid-response: a body timeout
        if (ex.tryActive) endTry(ex, ex.responseStarted ? Outcome.BODY_TIMEOUT : Outcome.TIMEOUT, ex.responseStarted ? ex.headStatus : 0);
        timedOut(ex, "the route timeout of " + route.timeoutMillis() + "ms passed");
      });
    }
    ex.upstreamStartNanos = System.nanoTime();
  }

  private void refused(Exchange ex, UpstreamRuntime up, Admission.Refused r) {
    switch (r.reason()) {
      case IN_FLIGHT, ADAPTIVE -> overloaded(ex, up, r.reason());
      case BREAKER_OPEN -> {
        ex.upstream = up;
        if (ex.upstreamStartNanos == 0) ex.upstreamStartNanos = System.nanoTime();
        breakerOpen(ex, up, r.retryAfterSeconds());
      }
      case NO_TARGET -> {
        ex.upstream = up;
        if (ex.tryNo == 0) ex.upstreamStartNanos = 0;
        fail(ex, 503, "Service Unavailable", "no target of upstream '" + up.name() + "' is available");
      }
      case NOT_RETRYABLE, BUDGET_EXHAUSTED -> throw new IllegalStateException("a first attempt refused as a retry: " + r);
    }
  }

  /** The route's fallback while the breaker is open, else 503 with Retry-After. */
  private void breakerOpen(Exchange ex, UpstreamRuntime up, long retryAfterSeconds) {
    Fallback fb = ex.route.fallback();
    if (fb != null && fb.upstream() != null && fb.upstream() != up) {
      admit(ex, fb.upstream(), false);
      return;
    }
    if (fb != null && fb.upstream() == null) {
      ex.done = true;
      ex.status = fb.status();
      cancelTimer(ex, true);
      HttpServerResponse resp = ex.response;
      if (!ex.request.isEnded() && expectsBody(ex)) closeAfterResponse(ex);
      ex.request.resume();
      resp.setStatusCode(fb.status());
      fb.headers().forEach(resp::putHeader);
      resp.putHeader(H.X_REQUEST_ID, ex.requestId);
      resp.end(Buffer.buffer(fb.body()));
      finish(ex);
      return;
    }
    ex.response.putHeader("Retry-After", Long.toString(retryAfterSeconds));
    fail(ex, 503, "Service Unavailable", "the circuit breaker of upstream '" + up.name() + "' is open");
  }

  /** Refused for overload: in flight, adaptive limit, or (pending = true) waiting for a connection. */
  private void overloaded(Exchange ex, UpstreamRuntime up, Admission.Refusal why) {
    overloaded(ex, up, why, false);
  }

  private void overloaded(Exchange ex, UpstreamRuntime up, Admission.Refusal why, boolean pending) {
    OverloadGuard g = up.overload();
    String detail = pending
        ? "upstream '" + up.name() + "' has " + g.maxPending() + " requests waiting for a connection, its maxPending"
        : why == Admission.Refusal.IN_FLIGHT
            ? "upstream '" + up.name() + "' has " + g.maxInFlight() + " requests in flight, its maxInFlight"
            : "upstream '" + up.name() + "' is at its adaptive concurrency limit of " + g.adaptiveLimit();
    ex.response.putHeader("Retry-After", "1");
    fail(ex, 503, "Service Unavailable", detail);
  }

  /**
   * Sends the attempt (the exchange's current one) to its target. A refusal here (maxPending, the
   * tunnel cap) ends the request; the attempt is released with it.
   */
  private void sendTry(Exchange ex, Attempt attempt) {
    // the previous try, if any, has ended: its connection was reset with it
    releaseConnection(ex, false);
    if (ex.attempt != attempt) {
      if (ex.attempt != null) ex.attempt.release();
      ex.attempt = attempt;
    }
    UpstreamRuntime up = attempt.upstream();
    Target t = attempt.target();
    if (!attempt.tryPending()) {
      overloaded(ex, up, null, true);
      return;
    }
    boolean ws = ex.webSocket;
    UpstreamClient client = client(up);
    if (ws && !client.tunnelFree(t)) {
      // tunnels have a cap of their own, apart from the pool that serves requests
      attempt.pendingDone();
      ex.response.putHeader("Retry-After", "1");
      fail(ex, 503, "Service Unavailable", "target " + t.key() + " of upstream '" + up.name() + "' has " + client.maxTunnelsPerTarget()
          + " tunnels (WebSockets) open on this event loop, its maxTunnelsPerTarget");
      return;
    }
    ex.target = t;
    attempt.start();
    int tryNo = ++ex.tryNo;
    ex.tryActive = true;
    telemetry.tryStarted(ex, t);
    HttpServerRequest req = ex.request;
    // the connection is already chosen: the options only make the request line and Host
    RequestOptions ro = new RequestOptions()
        .setMethod(req.method())
        .setHost(t.ssl() && up.serverName() != null ? up.serverName() : t.host())
        .setPort(t.port())
        .setSsl(t.ssl())
        .setURI(ex.upstreamUri)
        .setHeaders(ex.upstreamHeaders);
    if (ex.upstreamClient != client) {
      if (ex.upstreamClient != null) ex.upstreamClient.release();
      client.acquire();
      ex.upstreamClient = client;
    }
    // a tunnel (WebSocket) gets a connection of its own, counted apart from the pool and never reused
    UpstreamClient.Conn idle = ws ? null : client.idle(t);
    if (idle != null) {
      request(ex, attempt, idle, ro, ws, tryNo);
      return;
    }
    (ws ? client.tunnel(t, connectOptions(up, t)) : client.connection(t, connectOptions(up, t))).onComplete(car -> {
      if (car.failed()) {
        attempt.pendingDone();
        if (ex.tryNo == tryNo) upstreamFailed(ex, car.cause(), tryNo);
      } else if (ex.tryNo != tryNo || ex.done) {
        // the try ended while it waited: the new connection serves another request
        attempt.pendingDone();
        client.recycle(car.result());
      } else {
        request(ex, attempt, car.result(), ro, ws, tryNo);
      }
    });
  }

  /** How a new connection to t is made: to the target's address, the TLS server name as SNI. */
  private static HttpConnectOptions connectOptions(UpstreamRuntime up, Target t) {
    HttpConnectOptions co = new HttpConnectOptions()
        .setHost(t.host())
        .setPort(t.port())
        .setSsl(t.ssl())
        .setConnectTimeout(up.connectMillis());
    // the target's address is made once, not per request. A TLS server name of its own is sent as
    // SNI while the connection goes to the target's address
    if (!t.ssl()) co.setServer(t.address());
    else if (up.serverName() != null) co.setServer(t.address()).setHost(up.serverName());
    return co;
  }

  /** Sends the try's request on connection c, which the exchange holds until it ends. */
  private void request(Exchange ex, Attempt attempt, UpstreamClient.Conn c, RequestOptions ro, boolean ws, int tryNo) {
    ex.upstreamConnection = c;
    c.http.request(ro).onComplete(ar -> {
      attempt.pendingDone();
      if (ex.tryNo == tryNo) connected(ex, attempt.upstream(), ar, ws, tryNo);
      else if (ar.succeeded()) ar.result().reset();
    });
  }

  /**
   * Lets go of the exchange's upstream connection: back to its stack when the exchange ended
   * cleanly on it, else closed (reset, abandoned, answered early).
   */
  private static void releaseConnection(Exchange ex, boolean reuse) {
    UpstreamClient.Conn c = ex.upstreamConnection;
    if (c == null) return;
    ex.upstreamConnection = null;
    if (reuse) ex.upstreamClient.recycle(c);
    else UpstreamClient.discard(c);
  }

  /** Whether the upstream keeps the connection open after this response (HTTP/1.1 without close). */
  private static boolean keepsAlive(HttpClientResponse cresp) {
    if (cresp.version() != HttpVersion.HTTP_1_1) return false;
    String c = cresp.headers().get(H.CONNECTION);
    return c == null || !c.toLowerCase(java.util.Locale.ROOT).contains("close");
  }

  /**
   * Ends the current try: feeds metrics, passive health, the breaker and the adaptive limit, once.
   * A try whose response was passed on ends when its body has been read to the end (with the
   * outcome of its head, timed to its head) or when the body fails (BODY_RESET, BODY_TIMEOUT, timed
   * to the failure): a target that cuts its responses is failing, whatever its heads say.
   */
  private void endTry(Exchange ex, Outcome o, int status) {
    if (!ex.tryActive) return;
    ex.tryActive = false;
    Attempt a = ex.attempt;
    a.end(o);
    telemetry.tryEnded(ex, a.target(), o, status, a.nanos());
    if (o.failure() && o != Outcome.HTTP_5XX) ex.upstreamError = o.label;
  }

  /**
   * The try's response head came and is passed on: the adaptive limit gets its sample now (the time
   * to the head), the rest of the try's outcome waits for the end of the body (endTry).
   */
  private static void headArrived(Exchange ex, Outcome o, int status) {
    ex.headStatus = status;
    ex.attempt.headArrived(o);
  }

  /**
   * Whether the failed try may be retried, and if so reserves what the retry needs: another target,
   * a breaker permission and a share of the retry budget (in that order, so a refusal spends nothing).
   */
  private Attempt reserveRetry(Exchange ex, Outcome o, int status) {
    if (ex.done || ex.responseStarted || ex.response.headWritten()) return null;
    // a connect failure before the request was read sent nothing: always safe to send elsewhere
    boolean nothingSent = o == Outcome.CONNECT_FAILURE && !ex.bodyConsumed;
    boolean resendable = nothingSent || !ex.webSocket && ex.replay
        && (!ex.bodyConsumed || ex.request.isEnded() && (ex.bodyBytes == 0 || ex.replayBody != null));
    switch (ex.attempt.retry(o, status, resendable, ex)) {
      case Admission.Admitted a -> {
        return a.attempt();
      }
      case Admission.Refused r -> {
        if (r.reason() == Admission.Refusal.BUDGET_EXHAUSTED) {
          ex.retriesDenied++;
          telemetry.retryBudgetExhausted(ex);
        }
        return null;
      }
    }
  }

  /** Sends {@code next} after the backoff; it is the exchange's attempt from now (the failed one is let go). */
  private void retry(Exchange ex, Attempt next) {
    ex.attempt.release();
    ex.attempt = next;
    ex.retries++;
    telemetry.retried(ex);
    long delay = ex.upstream.retry().backoffMillis(ex.retries);
    ex.retryTimer = vertx.setTimer(Math.max(1, delay), id -> {
      ex.retryTimer = -1;
      if (ex.done) return;
      sendTry(ex, next);
    });
  }

  /** A try failed before its response was passed on: retry it, or answer with a problem. */
  private void tryFailed(Exchange ex, Outcome o, int problemStatus, String title, String detail) {
    endTry(ex, o, 0);
    cancelTimer(ex, false);
    HttpClientRequest creq = ex.upstreamRequest;
    ex.upstreamRequest = null;
    if (creq != null) creq.reset();
    Attempt next = reserveRetry(ex, o, 0);
    if (next != null) {
      retry(ex, next);
      return;
    }
    fail(ex, problemStatus, title, detail);
  }

  private UpstreamClient client(UpstreamRuntime up) {
    UpstreamClient c = clients.get(up);
    if (c == null) {
      var tc = up.config().timeouts();
      HttpClientOptions o = UpstreamTls.apply(new HttpClientOptions(), up.config().tls())
          .setKeepAlive(true)
          .setKeepAliveTimeout((int) Math.max(1, tc.idle().toSeconds()))
          .setIdleTimeout((int) Math.max(1, tc.idle().toSeconds()))
          .setIdleTimeoutUnit(TimeUnit.SECONDS)
          .setConnectTimeout((int) tc.connect().toMillis())
          .setTcpNoDelay(true)
          .setDecompressionSupported(false)
          .setName("bulwark-" + up.name());
      c = new UpstreamClient(vertx, vertx.httpClientBuilder().with(o).build(), up.config().maxConnectionsPerTarget(), up.config().maxTunnelsPerTarget());
      // a request that read the previous snapshot may still reach a retired upstream: it gets a
      // client of its own, closed when its last exchange ends
      if (up.retired()) c.retireWhenIdle();
      else clients.put(up, c);
    }
    return c;
  }

  /**
   * Closes the pools of upstreams replaced by a reload, each once its last exchange has ended.
   * Called on this handler's event loop after every reload.
   */
  public void retireClients() {
    for (Iterator<Map.Entry<UpstreamRuntime, UpstreamClient>> it = clients.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<UpstreamRuntime, UpstreamClient> e = it.next();
      if (e.getKey().retired()) {
        e.getValue().retire();
        it.remove();
      }
    }
  }

  public Future<Void> closeClients() {
    List<Future<Void>> fs = clients.values().stream().map(UpstreamClient::close).toList();
    clients.clear();
    return Future.join(fs).mapEmpty();
  }

  private void connected(Exchange ex, UpstreamRuntime up, AsyncResult<HttpClientRequest> ar, boolean ws, int tryNo) {
    if (ar.failed()) {
      upstreamFailed(ex, ar.cause(), tryNo);
      return;
    }
    HttpClientRequest creq = ar.result();
    if (ex.done) {
      creq.reset();
      return;
    }
    ex.upstreamRequest = creq;
    creq.exceptionHandler(e -> upstreamFailed(ex, e, tryNo));
    HttpServerRequest req = ex.request;
    if (ws) {
      ex.bodyConsumed = true;
      startResponseTimer(ex, up, tryNo);
      creq.connect().onComplete(rar -> {
        if (rar.failed()) upstreamFailed(ex, rar.cause(), tryNo);
        else if (rar.result().statusCode() == 101) tunnel(ex, rar.result());
        else respond(ex, rar.result(), tryNo);
      });
      req.resume();
      return;
    }
    creq.response().onComplete(rar -> {
      if (rar.failed()) upstreamFailed(ex, rar.cause(), tryNo);
      else respond(ex, rar.result(), tryNo);
    });
    if (ex.chunkedRequest || (req.version() == HttpVersion.HTTP_2 && req.getHeader(H.CONTENT_LENGTH) == null && mayHaveBody(req.method()))) {
      creq.setChunked(true);
    }
    if (ex.bodyConsumed) {
      // a retry: the client's request has ended and its body (if any) was kept for replay
      if (ex.replayBody == null) creq.end();
      else creq.end(ex.replayBody.copy());
      startResponseTimer(ex, up, tryNo);
      return;
    }
    ex.bodyConsumed = true;
    long max = plane.snapshot().maxBodyBytes();
    long replayCap = up.retry() == null ? 0 : up.retry().maxBufferedBody();
    req.handler(buf -> {
      if (ex.done) return;
      ex.lastBodyNanos = System.nanoTime();
      ex.bodyBytes += buf.length();
      if (max > 0 && ex.bodyBytes > max) {
        tooLarge(ex, max);
        return;
      }
      if (ex.replay) keepForReplay(ex, buf, replayCap);
      HttpClientRequest cur = ex.upstreamRequest;
      if (cur == null) return; // the try failed mid-upload: the rest of the body is dropped
      cur.write(buf);
      if (cur.writeQueueFull()) {
        req.pause();
        ex.bodyHeldBack = true;
        cur.drainHandler(v -> {
          ex.bodyHeldBack = false;
          ex.lastBodyNanos = System.nanoTime();
          req.resume();
        });
      }
    });
    req.endHandler(v -> {
      cancelBodyTimer(ex);
      if (ex.done || ex.tryNo != tryNo || ex.upstreamRequest == null) return;
      creq.end();
      // the response timeout counts from the end of the request: a long upload is not a slow upstream
      if (ex.upstreamEndNanos == 0) startResponseTimer(ex, up, tryNo);
    });
    // a body is expected: Content-Length > 0, chunked, or an HTTP/2 stream still open
    if (!req.isEnded() && (expectsBody(ex) || req.version() == HttpVersion.HTTP_2)) startBodyTimer(ex);
    req.resume();
  }

  /**
   * server.limits.bodyReadTimeout: a client that sends no body bytes for that long (slow-body
   * attacks) gets 408 if nothing was answered yet, and its connection is closed. One timer per
   * request, re-armed for the remainder when bytes came meanwhile, rather than one per chunk.
   */
  private void startBodyTimer(Exchange ex) {
    long ms = plane.snapshot().config().server().limits().bodyReadTimeout().toMillis();
    if (ms <= 0) return;
    ex.lastBodyNanos = System.nanoTime();
    armBodyTimer(ex, ms, ms);
  }

  private void armBodyTimer(Exchange ex, long ms, long delay) {
    ex.bodyTimer = vertx.setTimer(Math.max(1, delay), id -> {
      ex.bodyTimer = -1;
      if (ex.done || ex.request.isEnded()) return;
      long idle = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - ex.lastBodyNanos);
      if (ex.bodyHeldBack || idle < ms) {
        armBodyTimer(ex, ms, ex.bodyHeldBack ? ms : ms - idle);
        return;
      }
      bodyTimedOut(ex, ms);
    });
  }

  private void bodyTimedOut(Exchange ex, long ms) {
    if (ex.response.headWritten()) {
      // the upstream already answered: only the connection can be cut
      fail(ex, 408, "Request Timeout", "no request body bytes for " + ms + "ms");
      return;
    }
    closeAfterResponse(ex);
    fail(ex, 408, "Request Timeout", "the client sent no request body bytes for " + ms + "ms");
    // the rest of the body will not come: do not wait for it before closing
    if (ex.request.version() != HttpVersion.HTTP_2) ex.request.connection().close();
  }

  private void cancelBodyTimer(Exchange ex) {
    if (ex.bodyTimer >= 0) vertx.cancelTimer(ex.bodyTimer);
    ex.bodyTimer = -1;
  }

  /** Keeps a copy of the request body for a retry, up to the cap; past it, the request is not replayed. */
  private static void keepForReplay(Exchange ex, Buffer buf, long cap) {
    if (ex.replayBody == null) ex.replayBody = Buffer.buffer((int) Math.min(cap, Math.max(256, buf.length())));
    if (ex.replayBody.length() + buf.length() > cap) {
      ex.replay = false;
      ex.replayBody = null;
      return;
    }
    ex.replayBody.appendBuffer(buf);
  }

  private void startResponseTimer(Exchange ex, UpstreamRuntime up, int tryNo) {
    RetryPolicy rp = up.retry();
    long ms = rp != null && rp.perTryMillis() > 0 ? rp.perTryMillis() : up.responseMillis();
    ex.responseTimer = vertx.setTimer(ms, id -> {
      ex.responseTimer = -1;
      if (ex.done || ex.tryNo != tryNo) return;
      tryFailed(ex, Outcome.TIMEOUT, 504, "Gateway Timeout", "upstream '" + up.name() + "' sent no response within " + ms + "ms");
    });
  }

  private static boolean mayHaveBody(HttpMethod m) {
    return !(m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.DELETE || m == HttpMethod.OPTIONS || m == HttpMethod.TRACE);
  }

  private void respond(Exchange ex, HttpClientResponse cresp, int tryNo) {
    if (ex.done || ex.tryNo != tryNo) {
      dropResponse(cresp);
      return;
    }
    cancelTimer(ex, false);
    int status = cresp.statusCode();
    Outcome head = status >= 500 ? Outcome.HTTP_5XX : Outcome.SUCCESS;
    ex.upstreamError = null; // this try answered: an earlier try's failure is not how the request ended
    RetryPolicy rp = ex.upstream.retry();
    if (rp != null && rp.retriesStatus(status)) {
      // a status the policy retries ends its try now: the retry needs the breaker's verdict on it
      endTry(ex, head, status);
      Attempt next = reserveRetry(ex, head, status);
      if (next != null) {
        // this answer is dropped (its connection with it) and the request goes to another target
        ex.upstreamRequest = null;
        dropResponse(cresp);
        retry(ex, next);
        return;
      }
    } else {
      headArrived(ex, head, status);
    }
    ex.responseStarted = true;
    ex.upstreamEndNanos = System.nanoTime();
    HttpServerResponse resp = ex.response;
    HttpServerRequest req = ex.request;
    ex.status = status;
    // The upstream's head goes onto the client response only with its first body bytes (or its
    // end), see copyHead: until then nothing was sent, and a failure is answered with a clean
    // problem response of the gateway's own, with none of the upstream's headers (its
    // Content-Length would make the client wait for bytes that never come).
    // Chunks that arrive in one read of the upstream connection are written together at the end
    // of that read, and a response whose last chunk arrives with its end goes out with it: a small
    // response costs one write to the client instead of two, with no added delay for streams.
    cresp.handler(buf -> {
      if (ex.done) return;
      if (ex.pendingChunk == null) {
        ex.pendingChunk = buf;
        context.runOnContext(v -> flushPending(ex, cresp));
      } else {
        ex.pendingChunk = Buffer.buffer(ex.pendingChunk.length() + buf.length()).appendBuffer(ex.pendingChunk).appendBuffer(buf);
      }
    });
    cresp.exceptionHandler(e -> upstreamFailed(ex, e, tryNo));
    cresp.endHandler(v -> {
      if (ex.done) return;
      ex.done = true;
      cancelTimer(ex, true);
      endTry(ex, ex.attempt.headOutcome(), ex.headStatus);
      copyHead(ex, cresp);
      if (!req.isEnded()) {
        // the upstream answered before the whole request body: that (HTTP/1.1) upstream connection is
        // left mid-request and must not go back to the pool, where it would stay busy for good (a reset
        // after the response does not free it); the rest of the client's body is read and dropped
        releaseConnection(ex, false);
        req.resume();
      } else {
        releaseConnection(ex, !ex.webSocket && keepsAlive(cresp));
      }
      Buffer last = ex.pendingChunk;
      ex.pendingChunk = null;
      if (last == null) resp.end();
      else resp.end(last);
      finish(ex);
    });
  }

  /**
   * Drops an upstream response unread (its stream or connection is reset). The reset reaches the
   * response as an exception: it is expected here, and handled, so Vert.x does not log it as an
   * unhandled error.
   */
  private static void dropResponse(HttpClientResponse cresp) {
    cresp.exceptionHandler(e -> {});
    cresp.request().reset();
  }

  /**
   * Puts the upstream's status and headers on the client response, right before its first write
   * (body bytes, or the end).
   */
  private void copyHead(Exchange ex, HttpClientResponse cresp) {
    if (ex.headCopied) return;
    ex.headCopied = true;
    HttpServerResponse resp = ex.response;
    HttpServerRequest req = ex.request;
    int status = cresp.statusCode();
    resp.setStatusCode(status);
    MultiMap h = resp.headers();
    // draining may have begun while this request was in flight: its keep-alive connection ends with it
    boolean close = h.contains(H.CONNECTION) || plane.draining();
    ForwardingHeaders.copyResponseHeaders(cresp.headers(), h);
    h.set(H.X_REQUEST_ID, ex.requestId);
    ex.applyResponseHeaderHooks(h);
    if (close) closeAfterResponse(ex);
    boolean noBody = req.method() == HttpMethod.HEAD || status == 204 || status == 304 || status < 200;
    if (!noBody && !h.contains(H.CONTENT_LENGTH) && req.version() == HttpVersion.HTTP_1_1) resp.setChunked(true);
  }

  private void flushPending(Exchange ex, HttpClientResponse cresp) {
    Buffer b = ex.pendingChunk;
    if (b == null || ex.done) return;
    ex.pendingChunk = null;
    copyHead(ex, cresp);
    HttpServerResponse resp = ex.response;
    resp.write(b);
    if (resp.writeQueueFull()) {
      cresp.pause();
      resp.drainHandler(v -> cresp.resume());
    }
  }

  /**
   * WebSocket (or any HTTP/1.1 upgrade) pass-through: after the upstream's 101, bytes flow both ways.
   * The tunnel's upstream connection counts against maxTunnelsPerTarget until it closes, and the
   * request no longer counts against the upstream's in-flight cap: a long-lived tunnel is not a
   * request in flight, and must not starve the requests.
   */
  private void tunnel(Exchange ex, HttpClientResponse cresp) {
    cancelTimer(ex, false);
    cancelTimer(ex, true);
    if (ex.done) {
      cresp.request().reset();
      return;
    }
    endTry(ex, Outcome.SUCCESS, 101);
    ex.done = true;
    ex.status = 101;
    ex.upstreamEndNanos = System.nanoTime();
    ex.attempt.leaveInFlight();
    // the tunnel owns the connection now; its close is counted when it comes
    UpstreamClient.Conn conn = ex.upstreamConnection;
    UpstreamClient owner = ex.upstreamClient;
    ex.upstreamConnection = null;
    NetSocket upstream = cresp.netSocket();
    HttpServerResponse resp = ex.response;
    cresp.headers().forEach(e -> resp.headers().add(e.getKey(), e.getValue()));
    resp.headers().set("X-Request-Id", ex.requestId);
    String what = ex.target == null ? "?" : ex.target.key();
    ex.request.toNetSocket().onComplete(ar -> {
      if (ar.failed()) {
        upstream.close();
        if (conn != null) owner.tunnelClosed(conn);
        finish(ex);
        return;
      }
      NetSocket client = ar.result();
      pump(ex, client, upstream, what);
      pump(ex, upstream, client, what);
      client.closeHandler(v -> upstream.close());
      upstream.closeHandler(v -> {
        client.close();
        if (conn != null) owner.tunnelClosed(conn);
        finish(ex);
      });
    });
  }

  /**
   * One direction of a tunnel, with back-pressure. A reset or other error on either socket ends the
   * tunnel (both close); it is expected, so it is handled here rather than logged by Vert.x as an
   * unhandled error with nothing to name it.
   */
  private static void pump(Exchange ex, NetSocket from, NetSocket to, String target) {
    from.handler(buf -> {
      to.write(buf);
      if (to.writeQueueFull()) {
        from.pause();
        to.drainHandler(v -> from.resume());
      }
    });
    from.endHandler(v -> to.end());
    from.exceptionHandler(e -> {
      if (LOG.isDebugEnabled()) LOG.debug("request {} (route {}): tunnel to {} ended: {}", ex.requestId, ex.route == null ? "?" : ex.route.name(), target, safeMessage(e));
      from.close();
      to.close();
    });
  }

  private void timedOut(Exchange ex, String detail) {
    if (ex.done) return;
    fail(ex, 504, "Gateway Timeout", detail);
  }

  private void upstreamFailed(Exchange ex, Throwable e, int tryNo) {
    // a try that already ended (failed, or its answer dropped for a retry) reports its reset here too
    if (ex.done || ex.tryNo != tryNo || (!ex.tryActive && !ex.responseStarted)) return;
    String up = ex.upstream == null ? "?" : ex.upstream.name();
    String target = ex.target == null ? "?" : ex.target.key();
    if (LOG.isDebugEnabled()) {
      LOG.debug("request {} (route {}): upstream '{}' target {} failed: {}", ex.requestId, ex.route == null ? "?" : ex.route.name(), up, target, safeMessage(e));
    }
    if (ex.responseStarted) {
      // the response head came: nothing can be retried. The target failed mid-response; the client
      // gets a clean 502 if nothing was sent to it yet, else its response is cut (fail)
      endTry(ex, e instanceof TimeoutException ? Outcome.BODY_TIMEOUT : Outcome.BODY_RESET, ex.headStatus);
      fail(ex, 502, "Bad Gateway", "upstream '" + up + "' (" + target + ") failed: " + safeMessage(e));
    } else if (ex.upstreamRequest == null) {
      boolean timeout = e instanceof ConnectTimeoutException || e instanceof TimeoutException;
      tryFailed(ex, Outcome.CONNECT_FAILURE, timeout ? 504 : 502, timeout ? "Gateway Timeout" : "Bad Gateway",
          timeout ? "connecting to " + target + " of upstream '" + up + "' timed out" : "cannot connect to " + target + " of upstream '" + up + "'");
    } else if (e instanceof TimeoutException) {
      tryFailed(ex, Outcome.TIMEOUT, 504, "Gateway Timeout", "upstream '" + up + "' (" + target + ") timed out");
    } else {
      tryFailed(ex, Outcome.RESET, 502, "Bad Gateway", "upstream '" + up + "' (" + target + ") failed: " + safeMessage(e));
    }
  }

  private static String safeMessage(Throwable e) {
    String m = e.getMessage();
    if (m == null) return e.getClass().getSimpleName();
    return m.length() > 200 ? m.substring(0, 200) : m;
  }

  /**
   * Ends the exchange with an error: a problem response if nothing was sent yet (the upstream's
   * head, if one came, was never put on the response: copyHead), else the client sees a truncated
   * response (abortClient): never a complete-looking one, and its connection is not reused.
   */
  private void fail(Exchange ex, int status, String title, String detail) {
    ex.done = true;
    cancelTimer(ex, false);
    cancelTimer(ex, true);
    cancelRetry(ex);
    if (ex.upstreamRequest != null) ex.upstreamRequest.reset();
    HttpServerResponse resp = ex.response;
    if (resp.headWritten()) {
      abortClient(ex);
    } else {
      ex.status = status;
      ex.rejectTitle = title;
      ex.rejectDetail = detail;
      if (plane.draining() || (!ex.request.isEnded() && expectsBody(ex))) closeAfterResponse(ex);
      if (!ex.request.isEnded()) ex.request.resume();
      Problem.send(resp, status, title, detail, ex.requestId, ex.request.path());
    }
    finish(ex);
  }

  /**
   * Cuts a response whose head was sent: HTTP/2 resets the stream (RST_STREAM); HTTP/1.x closes the
   * connection without the terminating chunk, or short of the Content-Length.
   */
  private static void abortClient(Exchange ex) {
    if (ex.request.version() == HttpVersion.HTTP_2) ex.response.reset();
    else ex.request.connection().close();
  }

  private void tooLarge(Exchange ex, long max) {
    if (ex.done) return;
    closeAfterResponse(ex);
    fail(ex, 413, "Content Too Large", "the request body is larger than " + bulwark.config.ByteSize.human(max));
  }

  private void reject(Exchange ex, int status, String title, String detail) {
    ex.done = true;
    ex.status = status;
    ex.rejectTitle = title;
    ex.rejectDetail = detail;
    if (!ex.request.isEnded() && expectsBody(ex)) {
      // the unread body would desynchronise the connection
      closeAfterResponse(ex);
    }
    ex.request.resume();
    Problem.send(ex.response, status, title, detail, ex.requestId, ex.request.path());
    finish(ex);
  }

  /** A bodiless answer of the gateway's own, e.g. a CORS preflight's 204. */
  private void answer(Exchange ex, int status) {
    ex.done = true;
    ex.status = status;
    if (!ex.request.isEnded() && expectsBody(ex)) closeAfterResponse(ex);
    ex.request.resume();
    ex.response.setStatusCode(status).putHeader(H.X_REQUEST_ID, ex.requestId).end();
    finish(ex);
  }

  /**
   * Asks for the client connection to be closed after this response. HTTP/1.x only: Connection is
   * a connection-specific header that HTTP/2 forbids (RFC 9113 8.2.2), and a client rejects the
   * whole response when it carries one.
   */
  private static void closeAfterResponse(Exchange ex) {
    if (ex.request.version() != HttpVersion.HTTP_2) ex.response.putHeader(H.CONNECTION, H.CLOSE);
  }

  private static boolean expectsBody(Exchange ex) {
    String cl = ex.request.getHeader(H.CONTENT_LENGTH);
    return ex.chunkedRequest || (cl != null && !cl.trim().equals("0"));
  }

  private void internalError(Exchange ex, Throwable e) {
    LOG.error("request {} failed inside the gateway: {}", ex.requestId, e.toString(), e);
    if (ex.done && ex.response.headWritten()) return;
    fail(ex, 500, "Internal Server Error", "the gateway failed to handle this request (request id " + ex.requestId + ")");
  }

  private void clientGone(Exchange ex) {
    if (ex.done) return;
    ex.done = true;
    ex.status = CLIENT_GONE;
    cancelTimer(ex, false);
    cancelTimer(ex, true);
    cancelRetry(ex);
    if (ex.upstreamRequest != null) ex.upstreamRequest.reset();
    finish(ex);
  }

  private void cancelTimer(Exchange ex, boolean total) {
    if (total) {
      if (ex.totalTimer >= 0) vertx.cancelTimer(ex.totalTimer);
      ex.totalTimer = -1;
    } else {
      if (ex.responseTimer >= 0) vertx.cancelTimer(ex.responseTimer);
      ex.responseTimer = -1;
    }
  }

  private void cancelRetry(Exchange ex) {
    if (ex.retryTimer >= 0) vertx.cancelTimer(ex.retryTimer);
    ex.retryTimer = -1;
  }

  private void finish(Exchange ex) {
    if (ex.finished) return;
    ex.finished = true;
    cancelBodyTimer(ex);
    Attempt a = ex.attempt;
    if (ex.tryActive && a.headOutcome() != null) {
      // the response was under way and the upstream did not fail it (the client left, or its
      // request body was too slow or too large): the try ends as its head said
      endTry(ex, a.headOutcome(), ex.headStatus);
    } else if (ex.tryActive) {
      // the client left (or the exchange ended otherwise) mid-try: not the upstream's failure, so
      // health and the breaker hear nothing; telemetry hears a cancelled try
      endTry(ex, Outcome.CANCELLED, 0);
    }
    // what the attempt still holds (a breaker permission no try used up, its in-flight place)
    if (a != null) a.release();
    releaseConnection(ex, false);
    if (ex.upstreamClient != null) ex.upstreamClient.release();
    plane.requestFinished();
    telemetry.requestFinished(ex);
    plane.accessLog().log(ex);
  }

}
