package bulwark.proxy;

import bulwark.filter.Exchange;
import bulwark.observe.MirrorDrop;
import bulwark.routing.Mirror;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.target.Target;
import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request's copy to its route's mirror upstream (routes[].mirror), fire-and-forget: made when
 * the request's first try goes out, with the same method, URI and upstream headers plus {@code
 * X-Bulwark-Mirror: 1}, to a target of the mirror upstream picked by its balancer, on its pool of
 * this event loop. The client's body is teed to it by {@link BodyUpload} as it streams to the
 * route's own upstream; the mirror's response is read and discarded.
 *
 * <p>The copy never holds the client's request back: it never pauses the client, and a copy that
 * cannot take the next bytes (its request not open yet, or its write queue full) holds at most
 * {@link #MAX_LAG} bytes of them, past which it is abandoned. It takes no overload, breaker or
 * retry-budget permit and feeds no health check; its only cap is the mirror's maxInFlight (counted
 * per mirror upstream, {@link UpstreamRuntime#tryMirror}). It has no retries, and its upstream's
 * timeouts: connect, then response from the end of its request to the end of its response.
 *
 * <p>Every copy sampled is counted once more, when it ends: answered (by status class) or dropped
 * (by {@link MirrorDrop} reason). Confined to the request's event loop; outlives the request when
 * its response is still to come.
 */
final class MirrorCopy {
  private static final Logger LOG = LoggerFactory.getLogger(MirrorCopy.class);

  /** The header that marks a copy. */
  static final CharSequence HEADER = HttpHeaders.createOptimized("X-Bulwark-Mirror");

  private static final CharSequence ONE = HttpHeaders.createOptimized("1");

  /**
   * Body bytes a copy holds while its request is not open yet or its write queue is full (on top of
   * that queue): how far the client's body may run ahead of the mirror before the copy is abandoned
   * (slow).
   */
  static final int MAX_LAG = 64 * 1024;

  private static final long NO_TIMER = -1;

  private enum State {
    /** Waiting for a connection and the request on it; the body is held. */
    CONNECTING,
    /** The request is open and the body goes out as it comes. */
    SENDING,
    /** The request went out whole: the response timer runs. */
    SENT,
    DONE
  }

  private final Loop loop;
  private final String route;
  private final String requestId;
  private final Mirror mirror;
  private final UpstreamRuntime up;
  private final Target target;
  private final UpstreamClient client;

  private State state = State.CONNECTING;
  private UpstreamClient.Conn conn;
  private HttpClientRequest creq;

  /** Body chunks waiting for the request to open or its queue to drain; null: none wait. */
  private ArrayDeque<Buffer> held = new ArrayDeque<>();

  private long heldBytes;
  private long bodyBytes;

  /** The client's body is all here (it may still be held). */
  private boolean bodyEnded;

  /** The mirror's response head came, and was counted. */
  private boolean answered;

  private long timer = NO_TIMER;

  private MirrorCopy(HttpCall owner, Mirror mirror, Target target) {
    this.loop = owner.loop();
    Exchange ex = owner.exchange();
    this.route = ex.route().name();
    this.requestId = ex.requestId();
    this.mirror = mirror;
    this.up = mirror.upstream();
    this.target = target;
    this.client = loop.clients().client(up);
    // held until done(), as the mirror's place (tryMirror)
    client.acquire();
    target.state().begin();
  }

  /**
   * The copy of {@code owner}'s request, when its route mirrors and this request is sampled, or
   * null: not mirrored, or dropped at once (counted). Called when the request's first try goes out,
   * before its body is read (a WebSocket upgrade never comes here).
   */
  static MirrorCopy start(HttpCall owner) {
    Exchange ex = owner.exchange();
    Mirror m = ex.route().mirror();
    if (m == null || !m.sampled()) return null;
    String route = ex.route().name();
    UpstreamRuntime up = m.upstream();
    owner.loop().telemetry().mirrored(route, up.name());
    MirrorDrop drop = null;
    Target t = null;
    if (contentLength(ex.request()) > m.maxBodyBytes()) {
      drop = MirrorDrop.BODY_TOO_LARGE;
    } else if (!up.tryMirror(m.maxInFlight())) {
      drop = MirrorDrop.CAP;
    } else if ((t = up.pickFor(ex, Set.of())) == null) {
      up.mirrorDone();
      drop = MirrorDrop.NO_TARGET;
    }
    if (drop != null) {
      dropped(owner.loop(), route, up, ex.requestId(), drop);
      return null;
    }
    MirrorCopy c = new MirrorCopy(owner, m, t);
    try {
      c.connect(ex, owner.sendsChunked());
    } catch (RuntimeException e) {
      c.broken(e);
      return null;
    }
    return c;
  }

  private static long contentLength(HttpServerRequest req) {
    String cl = req.getHeader(H.CONTENT_LENGTH);
    if (cl == null) return -1;
    try {
      return Long.parseLong(cl.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private void connect(Exchange ex, boolean chunked) {
    MultiMap headers = HttpHeaders.headers().addAll(ex.upstreamHeaders()).set(HEADER, ONE);
    RequestOptions ro =
        UpstreamRequests.options(up, target, ex.request().method(), ex.upstreamUri(), headers);
    UpstreamClient.Conn idle = client.idle(target);
    if (idle != null) {
      open(idle, ro, chunked);
      return;
    }
    client
        .connection(target, UpstreamRequests.connectOptions(up, target))
        .onComplete(
            ar -> {
              if (ar.failed()) failed(ar.cause());
              else if (state == State.DONE) client.recycle(ar.result());
              else guarded(() -> open(ar.result(), ro, chunked));
            });
  }

  private void open(UpstreamClient.Conn c, RequestOptions ro, boolean chunked) {
    conn = c;
    c.http
        .request(ro)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                failed(ar.cause());
                return;
              }
              HttpClientRequest r = ar.result();
              if (state == State.DONE) {
                r.reset();
                return;
              }
              creq = r;
              state = State.SENDING;
              r.exceptionHandler(this::failed);
              r.response()
                  .onComplete(
                      rar -> {
                        if (rar.failed()) failed(rar.cause());
                        else guarded(() -> response(rar.result()));
                      });
              guarded(
                  () -> {
                    if (chunked) r.setChunked(true);
                    drained();
                  });
            });
  }

  /** Runs a step of the copy from a Vert.x callback: a failure in it abandons the copy. */
  private void guarded(Runnable step) {
    try {
      step.run();
    } catch (RuntimeException e) {
      broken(e);
    }
  }

  // ---- the body, teed by BodyUpload ----

  /**
   * The next chunk of the client's body, as the route's own request gets it. Like every entry from
   * the request's path, it never throws: a failure inside the gateway abandons the copy only.
   */
  void body(Buffer buf) {
    try {
      write(buf);
    } catch (RuntimeException e) {
      broken(e);
    }
  }

  private void write(Buffer buf) {
    if (state == State.DONE) return;
    bodyBytes += buf.length();
    if (bodyBytes > mirror.maxBodyBytes()) {
      drop(MirrorDrop.BODY_TOO_LARGE);
      return;
    }
    if (held != null) {
      if (heldBytes + buf.length() > MAX_LAG) {
        drop(MirrorDrop.SLOW);
        return;
      }
      held.add(buf);
      heldBytes += buf.length();
      return;
    }
    creq.write(buf);
    if (creq.writeQueueFull()) hold();
  }

  /** The client's body is all here. */
  void end() {
    if (state == State.DONE || bodyEnded) return;
    bodyEnded = true;
    try {
      if (state == State.SENDING && held == null) sent();
    } catch (RuntimeException e) {
      broken(e);
    }
  }

  /**
   * The client's exchange is over: a copy whose body is not all here will not get the rest, and is
   * abandoned. A copy sent whole lives on to its response.
   */
  void primaryFinished() {
    try {
      if (!bodyEnded) drop(MirrorDrop.ERROR);
    } catch (RuntimeException e) {
      LOG.warn("request {}: mirror copy to {} failed: {}", requestId, up.name(), e.toString());
    }
  }

  /** A failure inside the gateway: the copy is abandoned, the client's request goes on. */
  private void broken(RuntimeException e) {
    LOG.warn(
        "request {} (route {}): mirror copy to {} failed inside the gateway: {}",
        requestId,
        route,
        up.name(),
        e.toString());
    drop(MirrorDrop.ERROR);
  }

  /** The write queue is full: what comes next is held until it drains. */
  private void hold() {
    held = new ArrayDeque<>();
    creq.drainHandler(v -> guarded(this::drained));
  }

  /** Writes what was held, while the queue takes it; then the end, if the body is all here. */
  private void drained() {
    if (state != State.SENDING || held == null) return;
    ArrayDeque<Buffer> h = held;
    held = null;
    Buffer b;
    while ((b = h.poll()) != null) {
      heldBytes -= b.length();
      creq.write(b);
      if (creq.writeQueueFull()) {
        held = h;
        creq.drainHandler(v -> guarded(this::drained));
        return;
      }
    }
    heldBytes = 0;
    if (bodyEnded) sent();
  }

  private void sent() {
    state = State.SENT;
    creq.end();
    timer = loop.vertx().setTimer(Math.max(1, up.responseMillis()), id -> timedOut());
  }

  // ---- the mirror's answer ----

  private void response(HttpClientResponse resp) {
    if (state == State.DONE) {
      resp.exceptionHandler(e -> {});
      resp.request().reset();
      return;
    }
    answered = true;
    loop.telemetry().mirrorAnswered(route, up.name(), resp.statusCode());
    // read and discarded (Vert.x hands over heap copies: nothing to release)
    resp.handler(b -> {});
    resp.exceptionHandler(e -> done(false));
    // the connection is reused only when the whole request went out (not an early answer)
    resp.endHandler(v -> done(state == State.SENT && keepsAlive(resp)));
  }

  private void timedOut() {
    timer = NO_TIMER;
    drop(MirrorDrop.SLOW);
  }

  private void failed(Throwable e) {
    if (state == State.DONE) return;
    boolean timeout = e instanceof TimeoutException || e instanceof ConnectTimeoutException;
    drop(timeout ? MirrorDrop.SLOW : MirrorDrop.ERROR);
  }

  // ---- the end ----

  /** Abandons the copy: counted as dropped for {@code reason}, unless its answer was counted. */
  private void drop(MirrorDrop reason) {
    if (state == State.DONE) return;
    if (!answered) dropped(loop, route, up, requestId, reason);
    done(false);
  }

  private static void dropped(
      Loop loop, String route, UpstreamRuntime up, String requestId, MirrorDrop reason) {
    loop.telemetry().mirrorDropped(route, up.name(), reason);
    if (LOG.isDebugEnabled())
      LOG.debug(
          "request {} (route {}): mirror copy to {} dropped: {}",
          requestId,
          route,
          up.name(),
          reason.label);
  }

  /**
   * Ends the copy once: its request is reset and its connection closed unless the exchange ended
   * cleanly ({@code reuse}: the connection goes back to the pool); its places are given back.
   */
  private void done(boolean reuse) {
    if (state == State.DONE) return;
    state = State.DONE;
    if (timer != NO_TIMER) loop.vertx().cancelTimer(timer);
    timer = NO_TIMER;
    held = null;
    HttpClientRequest r = creq;
    creq = null;
    if (r != null && !reuse) r.reset();
    UpstreamClient.Conn c = conn;
    conn = null;
    if (c != null) {
      if (reuse) client.recycle(c);
      else UpstreamClient.discard(c);
    }
    target.state().end();
    up.mirrorDone();
    client.release();
  }

  /** Whether the mirror keeps the connection open after this response (HTTP/1.1 without close). */
  private static boolean keepsAlive(HttpClientResponse resp) {
    if (resp.version() != HttpVersion.HTTP_1_1) return false;
    String c = resp.headers().get(H.CONNECTION);
    return c == null || !c.toLowerCase(Locale.ROOT).contains("close");
  }
}
