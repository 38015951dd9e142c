package bulwark.proxy;

import bulwark.proxy.UpstreamIo.Timer;
import bulwark.routing.Fallback;
import bulwark.routing.Route;
import bulwark.upstream.Admission;
import bulwark.upstream.Attempt;
import bulwark.upstream.HashOn;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.target.Outcome;
import bulwark.upstream.target.Target;
import io.netty.channel.ConnectTimeoutException;
import java.util.concurrent.TimeoutException;

/**
 * One request's way to its upstream, as an explicit state machine: admission, attempts, retries,
 * the response head and the end of its body, a tunnel, and every way it can stop. It decides; its
 * {@link UpstreamIo} does the I/O (Vert.x: {@link HttpCall}; a fake in tests) and reports events
 * back, each tagged with its attempt number, so that an earlier attempt's event is ignored. One per
 * request that passed its filters; runs on the request's event loop.
 */
final class UpstreamCall {

  private final UpstreamIo io;
  private final Route route;
  private final HashOn.Source key;
  private final boolean idempotent;
  private final boolean webSocket;
  private CallState state = CallState.NEW;

  /** The current attempt (during BACKOFF: the next one); holds the permits until released. */
  private Attempt attempt;

  private UpstreamRuntime upstream;

  /** The route's choice of backend, while it is what is admitted (not the breaker's fallback). */
  private BackendChoice choice;

  /** The request may be replayed: retries are configured and the method (or route) allows it. */
  private boolean replay;

  /** The retry decision and its counts: made at the first failed try (null until then). */
  private Retries retries;

  private int tryNo;
  private int headStatus;
  private long upstreamStartNanos;
  private long upstreamEndNanos;
  private String upstreamError;
  private long routeMillis; // the route timeout, or the client's deadline when sooner; 0: none

  UpstreamCall(
      UpstreamIo io, Route route, HashOn.Source key, boolean idempotent, boolean webSocket) {
    this.io = io;
    this.route = route;
    this.key = key;
    this.idempotent = idempotent;
    this.webSocket = webSocket;
  }

  CallState state() {
    return state;
  }

  Attempt attempt() {
    return attempt;
  }

  int tryNo() {
    return tryNo;
  }

  /** Whether the client's body is kept for a replay (a retry may need it). */
  boolean replay() {
    return replay;
  }

  /** Whether the request could still be answered by the upstream (not answered, failed or left). */
  boolean live() {
    return state != CallState.DONE;
  }

  /** An attempt is out and has no outcome yet. */
  private boolean tryActive() {
    return attempt != null && attempt.started() && !attempt.ended();
  }

  // ---- admission ----

  /** Admits the request to its route's pick (or its fallback), sends the first try or refuses. */
  void start(boolean breakerForcedOpen) {
    choice = new BackendChoice(route.backends(), key);
    admit(choice.first(), breakerForcedOpen);
  }

  private void admit(UpstreamRuntime up, boolean breakerForcedOpen) {
    if (up.retry() != null) replay = idempotent || route.retryNonIdempotent();
    switch (up.admit(route.name(), key, breakerForcedOpen)) {
      case Admission.Admitted a -> {
        upstreamStarted();
        upstream = up;
        send(a.attempt());
      }
      case Admission.Refused r -> refused(up, r);
    }
  }

  /** The request goes upstream: the route timeout starts (once: a fallback keeps it). */
  private void upstreamStarted() {
    if (upstreamStartNanos != 0) return;
    routeMillis = io.routeTimeoutMillis(route.timeoutMillis());
    if (routeMillis > 0) io.arm(Timer.ROUTE, routeMillis);
    upstreamStartNanos = System.nanoTime();
  }

  private void refused(UpstreamRuntime up, Admission.Refused r) {
    switch (r.reason()) {
      case IN_FLIGHT, ADAPTIVE -> overloaded(up, Details.overloaded(up, r.reason()));
      case BREAKER_OPEN -> {
        upstream = up;
        if (upstreamStartNanos == 0) upstreamStartNanos = System.nanoTime();
        breakerOpen(up, r.retryAfterSeconds());
      }
      case NO_TARGET -> {
        upstream = up;
        UpstreamRuntime next = choice == null ? null : choice.failover(up);
        if (next != null) {
          admit(next, false);
          return;
        }
        if (tryNo == 0) upstreamStartNanos = 0;
        fail(503, "Service Unavailable", Details.noTarget(up));
      }
      case NOT_RETRYABLE, BUDGET_EXHAUSTED ->
          throw new IllegalStateException("a first attempt refused as a retry: " + r);
    }
  }

  /** The route's fallback while the breaker is open, else 503 with Retry-After. */
  private void breakerOpen(UpstreamRuntime up, long retryAfterSeconds) {
    Fallback fb = route.fallback();
    if (fb != null && fb.upstream() != null && fb.upstream() != up) {
      choice = null;
      admit(fb.upstream(), false);
      return;
    }
    if (fb != null && fb.upstream() == null) {
      stop();
      io.replyFallback(fb);
      return;
    }
    io.retryAfter(retryAfterSeconds);
    fail(503, "Service Unavailable", Details.breakerOpen(up));
  }

  private void overloaded(UpstreamRuntime up, String detail) { // logged under up, which refused
    upstream = up;
    io.retryAfter(1);
    fail(503, "Service Unavailable", detail);
  }

  // ---- attempts ----

  /** Sends {@code next} (admitted); a refusal here (maxPending, tunnel cap) ends the request. */
  private void send(Attempt next) {
    // the previous attempt, if any, has ended: its connection was reset with it
    io.releaseConnection();
    if (attempt != next) {
      if (attempt != null) attempt.release();
      attempt = next;
    }
    UpstreamRuntime up = next.upstream();
    if (!next.tryPending()) {
      overloaded(up, Details.pending(up));
      return;
    }
    if (webSocket && !io.tunnelFree(next)) {
      // tunnels have a cap of their own, apart from the pool that serves requests
      next.pendingDone();
      overloaded(up, Details.tunnels(next.target(), up, io.maxTunnelsPerTarget(up)));
      return;
    }
    next.start();
    tryNo++;
    state = CallState.CONNECTING;
    io.tryStarted(next, tryNo);
    io.send(next, tryNo, webSocket);
  }

  /** Attempt {@code n}'s request exists (its head goes out): false if the try is over (reset). */
  boolean requestOpened(int n) {
    if (n != tryNo || state != CallState.CONNECTING) return false;
    // a tunnel's request has no body: the wait for its 101 starts now
    state = webSocket ? CallState.AWAITING_HEAD : CallState.SENDING;
    if (webSocket) io.arm(Timer.RESPONSE, attempt.upstream().tryMillis());
    return true;
  }

  /** Attempt {@code n}'s request went out whole: the response timeout counts from here. */
  void requestSent(int n) {
    if (n != tryNo || state != CallState.SENDING) return;
    state = CallState.AWAITING_HEAD;
    io.arm(Timer.RESPONSE, attempt.upstream().tryMillis());
  }

  /** {@link #head(int, int, int)} of a head without a gRPC status. */
  boolean head(int n, int status) {
    return head(n, status, -1);
  }

  /**
   * Attempt {@code n}'s response head came with {@code status} (and, for a trailers-only gRPC
   * response, {@code grpcStatus}; else -1): true when it is relayed to the client (STREAMING),
   * false when it is dropped (the caller resets it), because the request is over, the head is an
   * earlier attempt's, or the status is retried. Nothing of the head went to the client yet: it is
   * copied only with the first body bytes or the end.
   */
  boolean head(int n, int status, int grpcStatus) {
    if (n != tryNo || state == CallState.DONE || state == CallState.BACKOFF) return false;
    io.disarm(Timer.RESPONSE);
    // a trailers-only gRPC status of a failed target counts as a 5xx (Grpc.targetFailed)
    Outcome head =
        status >= 500 || Grpc.targetFailed(grpcStatus) ? Outcome.HTTP_5XX : Outcome.SUCCESS;
    // this try answered: an earlier try's failure is not how the request ended
    upstreamError = null;
    if (Retries.retriesStatus(attempt, status, grpcStatus)) {
      // a status the policy retries ends its try now: the retry needs the breaker's verdict on it
      endTry(head, status);
      Attempt next = reserveRetry(head, status, grpcStatus);
      if (next != null) {
        retry(next);
        return false;
      }
    } else {
      attempt.headArrived(head);
    }
    headStatus = status;
    state = CallState.STREAMING;
    upstreamEndNanos = System.nanoTime();
    return true;
  }

  /** Attempt {@code n} got 101: true when the tunnel opens (the try succeeded), false if over. */
  boolean upgraded(int n) {
    io.disarm(Timer.RESPONSE);
    io.disarm(Timer.ROUTE);
    if (n != tryNo || state == CallState.DONE || state == CallState.BACKOFF) return false;
    endTry(Outcome.SUCCESS, 101);
    state = CallState.TUNNEL;
    upstreamEndNanos = System.nanoTime();
    // a long-lived tunnel is not a request in flight, and must not starve the requests
    attempt.leaveInFlight();
    return true;
  }

  /** The relayed response ended: true when the caller completes it (the try ends as its head). */
  boolean responseEnded() {
    return responseEnded(-1);
  }

  /**
   * The relayed response ended with the gRPC status {@code grpcStatus} in its trailers (-1: none):
   * true when the caller completes it. The try ends as its head, or as a 5xx when the status says
   * the target failed (Grpc.targetFailed): health and the breaker hear of a failure that came after
   * the response head, though it can no longer be retried.
   */
  boolean responseEnded(int grpcStatus) {
    if (state != CallState.STREAMING) return false;
    state = CallState.DONE;
    io.disarm(Timer.ROUTE);
    Outcome o = attempt.headOutcome();
    if (o == Outcome.SUCCESS && Grpc.targetFailed(grpcStatus)) o = Outcome.HTTP_5XX;
    if (o != null) endTry(o, headStatus);
    return true;
  }

  /**
   * Attempt {@code n}'s stream was refused unprocessed (GOAWAY, REFUSED_STREAM) or never made: true
   * when it goes out again as the same try (its request can be sent again), else false.
   */
  boolean resend(int n) {
    if (n != tryNo || !state.beforeHead() || !io.bodyReplayable()) return false;
    io.disarm(Timer.RESPONSE);
    io.releaseConnection();
    state = CallState.CONNECTING;
    io.send(attempt, tryNo, false);
    return true;
  }

  /** Attempt {@code n} failed: before its head (retry, or answer), or relaying its body (cut). */
  void failed(int n, Throwable e) {
    // before the head, a try that already ended (failed, and reset by the gateway) reports its
    // reset too
    if (n != tryNo || state != CallState.STREAMING && !tryActive()) return;
    if (io.routeTimeUp()) {
      // the target gave up on the deadline it was passed (the rest of the route timeout) just
      // before the gateway's own timer fired: the route timed out
      io.disarm(Timer.ROUTE);
      timerFired(Timer.ROUTE);
      return;
    }
    UpstreamRuntime up = attempt.upstream();
    Target target = attempt.target();
    boolean timeout = e instanceof TimeoutException;
    switch (state) {
      case STREAMING -> {
        // the response head came: nothing can be retried. The target failed mid-response; the
        // client gets a clean 502 if nothing was sent to it yet, else its response is cut
        endTry(timeout ? Outcome.BODY_TIMEOUT : Outcome.BODY_RESET, headStatus);
        fail(502, "Bad Gateway", Details.failed(up, target, e));
      }
      case CONNECTING -> {
        timeout |= e instanceof ConnectTimeoutException;
        tryFailed(Outcome.CONNECT_FAILURE, timeout, Details.connectFailed(up, target, timeout));
      }
      case SENDING, AWAITING_HEAD -> {
        if (timeout) tryFailed(Outcome.TIMEOUT, true, Details.timedOut(up, target));
        else tryFailed(Outcome.RESET, false, Details.failed(up, target, e));
      }
      // over, between attempts, or a tunnel (whose sockets report their own ends)
      case NEW, BACKOFF, TUNNEL, DONE -> {}
    }
  }

  void timerFired(Timer t) {
    switch (t) {
      case ROUTE -> {
        // after the response head, the target failed mid-response: a body timeout
        boolean streaming = state == CallState.STREAMING;
        if (tryActive())
          endTry(streaming ? Outcome.BODY_TIMEOUT : Outcome.TIMEOUT, streaming ? headStatus : 0);
        if (state != CallState.DONE)
          fail(504, "Gateway Timeout", Details.routeTimeout(routeMillis));
      }
      case RESPONSE -> {
        if (state == CallState.SENDING || state == CallState.AWAITING_HEAD) {
          tryFailed(Outcome.TIMEOUT, true, Details.noResponse(attempt.upstream()));
        }
      }
      case RETRY -> {
        if (state == CallState.BACKOFF) send(attempt);
      }
    }
  }

  /** A try failed before its response was passed on: retry, or 504 (timed out) / 502. */
  private void tryFailed(Outcome o, boolean timeout, String detail) {
    endTry(o, 0);
    io.disarm(Timer.RESPONSE);
    io.resetRequest();
    Attempt next = reserveRetry(o, 0, -1);
    if (next != null) {
      retry(next);
      return;
    }
    if (timeout) fail(504, "Gateway Timeout", detail);
    else fail(502, "Bad Gateway", detail);
  }

  /** The admitted retry of the failed try, or null (see {@link Retries#reserve}). */
  private Attempt reserveRetry(Outcome o, int status, int grpcStatus) {
    if (state == CallState.DONE || state == CallState.STREAMING || io.clientHeadWritten())
      return null;
    if (retries == null) retries = new Retries(io, key);
    return retries.reserve(attempt, o, status, grpcStatus, webSocket, replay);
  }

  /** {@code next} goes out after the backoff; the call's attempt from now (the failed one goes). */
  private void retry(Attempt next) {
    attempt.release();
    attempt = next;
    state = CallState.BACKOFF;
    io.arm(Timer.RETRY, retries.count(upstream));
  }

  /** Ends the current try once: its attempt hears the outcome, then the observers. */
  private void endTry(Outcome o, int status) {
    if (!tryActive()) return;
    attempt.end(o);
    io.tryEnded(attempt, o, status);
    if (o.failure() && o != Outcome.HTTP_5XX) upstreamError = o.label;
  }

  // ---- the end ----

  private void fail(int status, String title, String detail) {
    stop();
    io.reply(status, title, detail);
  }

  /**
   * The request is over for the upstream side (answered, failed, the client left): timers stop, the
   * upstream request is reset. Idempotent.
   */
  void stop() {
    if (state == CallState.DONE) return;
    state = CallState.DONE;
    io.disarm(Timer.RESPONSE);
    io.disarm(Timer.ROUTE);
    io.disarm(Timer.RETRY);
    io.resetRequest();
  }

  /**
   * The request has ended: the try still out ends as its head said (the response was under way and
   * the upstream did not fail it), or as CANCELLED (the client left mid-try: not the upstream's
   * failure, so health and the breaker hear nothing); the attempt lets go of what it holds. Returns
   * what observers see of the upstream side, built once.
   */
  UpstreamSummary close() {
    state = CallState.DONE;
    if (attempt != null) {
      Outcome head = attempt.headOutcome();
      endTry(head != null ? head : Outcome.CANCELLED, head != null ? headStatus : 0);
      attempt.release();
    }
    return new UpstreamSummary(
        upstream,
        tryNo,
        retries == null ? 0 : retries.made(),
        retries == null ? 0 : retries.denied(),
        upstreamStartNanos,
        upstreamEndNanos,
        upstreamError);
  }
}
