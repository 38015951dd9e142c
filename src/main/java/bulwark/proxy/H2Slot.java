package bulwark.proxy;

import bulwark.proxy.UpstreamClient.Conn;
import bulwark.transport.DeferredFlush;
import bulwark.transport.LastRead;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.impl.NoStackTraceTimeoutException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connections of one target of an upstream whose protocol is h2c, h2 or auto, on one event
 * loop; confined to it. Exchanges share a connection as HTTP/2 streams: a connection takes as many
 * at once as the target's SETTINGS_MAX_CONCURRENT_STREAMS allows (at most {@link #MAX_STREAMS}),
 * the first connection with room is used (so a second one opens only when the first is full), at
 * most {@code maxConnections} are open, and a request that finds every stream busy waits in a queue
 * (at most the connect timeout) for the next one freed or the next connection opened.
 *
 * <p>A connection that received GOAWAY takes no new streams; it closes when its last stream ends
 * (or the target closes it). The streams the target refused unprocessed are the caller's to send
 * again ({@link HttpCall}).
 *
 * <p>With {@code auto}, a target may pick HTTP/1.1 in ALPN: such a connection carries one exchange
 * at a time, and one left in an unknown state (reset, abandoned) is closed, as in {@link
 * UpstreamClient}'s own HTTP/1.1 pool.
 */
final class H2Slot {
  private static final Logger LOG = LoggerFactory.getLogger(H2Slot.class);

  /** Streams per connection at most, whatever the target allows (nginx's default is 128). */
  static final int MAX_STREAMS = 128;

  private final Vertx vertx;
  private final HttpClientAgent http;
  private final String key;
  private final HttpConnectOptions options;
  private final int maxConnections;

  /** Open connections, in the order they opened. */
  private final List<Conn> conns = new ArrayList<>(2);

  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  private int connecting;
  private boolean closed;

  /** The target's missing h2 in ALPN was logged (once per target and event loop). */
  private boolean warnedAlpn;

  /** PINGs and the idle rule of HTTP/2 connections; null: none (Vert.x's idle timeout applies). */
  private final Pings pings;

  /** Hears each connection the target refused for lack of h2 in ALPN, or closed for a PING. */
  private final ConnectionEvents events;

  private record Waiter(Promise<Conn> promise, long timer) {}

  /**
   * PINGs on the HTTP/2 connections: one goes out when nothing was read for {@code intervalMillis};
   * no answer within {@code timeoutMillis} closes the connection. With them, a connection is idle
   * only while it carries no streams, and closed after {@code idleMillis} of that.
   */
  record Pings(long intervalMillis, long timeoutMillis, long idleMillis) {
    /** How often each connection is looked at: its PING and idle checks are this precise. */
    long tickMillis() {
      return Math.max(1, Math.min(intervalMillis, idleMillis));
    }
  }

  H2Slot(
      Vertx vertx,
      HttpClientAgent http,
      String key,
      HttpConnectOptions options,
      int maxConnections) {
    this(vertx, http, key, options, maxConnections, null, ConnectionEvents.NONE);
  }

  H2Slot(
      Vertx vertx,
      HttpClientAgent http,
      String key,
      HttpConnectOptions options,
      int maxConnections,
      Pings pings,
      ConnectionEvents events) {
    this.vertx = vertx;
    this.http = http;
    this.key = key;
    this.options = options;
    this.maxConnections = Math.max(1, maxConnections);
    this.pings = pings;
    this.events = events;
  }

  /** Streams c may carry at once. */
  private static long limit(Conn c) {
    return c.multiplexed() ? Math.min(c.http.maxActiveStreams(), MAX_STREAMS) : 1;
  }

  /** A connection with a free stream, taken by the caller; null when none has one. */
  Conn free() {
    if (!waiters.isEmpty()) return null; // they came first
    Conn c = room();
    if (c != null) c.active++;
    return c;
  }

  private Conn room() {
    for (int i = 0; i < conns.size(); i++) {
      Conn c = conns.get(i);
      if (!c.closed && !c.goingAway && c.active < limit(c)) return c;
    }
    return null;
  }

  /**
   * A stream: on a connection with room now, else the next one freed or opened. A wait longer than
   * the connect timeout fails with a timeout.
   */
  Future<Conn> stream() {
    if (closed) return Future.failedFuture("the upstream's client is closed");
    Conn c = free();
    if (c != null) return Future.succeededFuture(c);
    Promise<Conn> p = Promise.promise();
    long timeout = options.getConnectTimeout();
    long timer = timeout > 0 ? vertx.setTimer(timeout, id -> timedOut(p, timeout)) : -1;
    waiters.add(new Waiter(p, timer));
    pump();
    return p.future();
  }

  private void timedOut(Promise<Conn> p, long timeout) {
    for (var it = waiters.iterator(); it.hasNext(); ) {
      if (it.next().promise() == p) {
        it.remove();
        p.tryFail(
            new NoStackTraceTimeoutException(
                "no stream to " + key + " was free within " + timeout + "ms"));
        return;
      }
    }
  }

  /**
   * Hands free streams to the waiters, in order; opens one more connection when some still wait,
   * none is opening, and fewer than maxConnections are open.
   */
  private void pump() {
    Conn c;
    while (!waiters.isEmpty() && (c = room()) != null) {
      Waiter w = waiters.pollFirst();
      if (w.timer() >= 0) vertx.cancelTimer(w.timer());
      c.active++;
      if (!w.promise().tryComplete(c)) c.active--;
    }
    if (!waiters.isEmpty() && !closed && connecting == 0 && conns.size() < maxConnections) open();
  }

  private void open() {
    connecting++;
    http.connect(options)
        .onComplete(
            ar -> {
              connecting--;
              if (ar.succeeded()) opened(ar.result());
              else connectFailed(ar.cause());
            });
  }

  private void opened(HttpClientConnection hc) {
    DeferredFlush.install(hc); // its flushes wait for the end of the event loop's batch
    Conn c = new Conn(hc, this);
    UpstreamClient.quiet(hc, key);
    hc.closeHandler(
        v -> {
          c.closed = true;
          if (c.liveness >= 0) vertx.cancelTimer(c.liveness);
          conns.remove(c);
          pump();
        });
    // an HTTP/1.1 connection (auto's fallback) has no GOAWAY, and keeps Vert.x's idle timeout
    if (hc.protocolVersion() == HttpVersion.HTTP_2) {
      goAway(hc, c);
      if (pings != null) watch(c);
    }
    conns.add(c);
    if (closed) {
      hc.close();
      return;
    }
    pump();
  }

  /**
   * A GOAWAY received (or sent: the connection shuts down) takes c out of service: no new streams,
   * closed once its last one ends. Heard through the shutdown handler: Vert.x hands a goAwayHandler
   * a copy of the frame's debug data that nobody releases (a buffer leak).
   */
  private void goAway(HttpClientConnection hc, Conn c) {
    hc.shutdownHandler(
        v -> {
          c.goingAway = true;
          if (LOG.isDebugEnabled()) LOG.debug("upstream {} goes away: no new streams on it", key);
          if (c.active == 0) hc.close();
          pump();
        });
  }

  /**
   * PINGs and the idle rule for c (an HTTP/2 connection): Vert.x's idle timeout, which counts
   * frames, is replaced by a look at c every tick, which closes it once it carried no streams for
   * the idle time, and sends a PING when nothing was read from it for the interval. A PING not
   * answered in time closes c: its streams fail (502, or a retry), new requests open another.
   */
  private void watch(Conn c) {
    c.reads = LastRead.install(c.http, true);
    if (c.reads == null) return; // Vert.x's idle timeout stays
    c.idleSince = System.nanoTime();
    c.liveness = vertx.setPeriodic(pings.tickMillis(), id -> look(c));
  }

  private void look(Conn c) {
    if (c.closed) {
      vertx.cancelTimer(c.liveness);
      return;
    }
    long now = System.nanoTime();
    if (c.active == 0 && now - c.idleSince >= pings.idleMillis() * 1_000_000L) {
      if (LOG.isDebugEnabled()) LOG.debug("upstream connection to {} idle: closed", key);
      c.http.close();
      return;
    }
    if (c.pingSent != 0 || now - c.reads.nanos() < pings.intervalMillis() * 1_000_000L) return;
    long sent = now;
    c.pingSent = sent;
    long timer =
        vertx.setTimer(
            pings.timeoutMillis(),
            id -> {
              if (c.pingSent != sent || c.closed) return;
              LOG.warn(
                  "upstream connection to {} did not answer a PING within {}ms: closed",
                  key,
                  pings.timeoutMillis());
              c.goingAway = true;
              events.pingTimedOut(key);
              c.http.close();
            });
    c.http
        .ping(Buffer.buffer(8).appendLong(sent))
        .onComplete(
            ar -> {
              if (c.pingSent != sent) return;
              c.pingSent = 0;
              vertx.cancelTimer(timer);
            });
  }

  /**
   * No connection: the waiters fail with the reason when no connection is open (they would all try
   * the same), else they wait for a stream of the open ones.
   */
  private void connectFailed(Throwable cause) {
    Throwable why = explain(cause);
    if (why != cause) {
      events.alpnRefused(key);
      if (!warnedAlpn) {
        // a configuration mistake rather than an outage: said once, at the first connection
        warnedAlpn = true;
        LOG.warn("upstream connection failed: {}", why.getMessage());
      }
    }
    if (conns.isEmpty()) {
      Waiter w;
      while ((w = waiters.pollFirst()) != null) {
        if (w.timer() >= 0) vertx.cancelTimer(w.timer());
        w.promise().tryFail(why);
      }
    } else {
      pump();
    }
  }

  /**
   * Vert.x's words for a target that did not pick h2 in ALPN, made to say so: a target that picked
   * http/1.1 anyway, or one that refused the handshake with the TLS alert no_application_protocol
   * (OpenSSL's TLSV1_ALERT_NO_APPLICATION_PROTOCOL, in the handshake failure's causes).
   */
  private Throwable explain(Throwable cause) {
    String m = cause.getMessage();
    if (cause instanceof IllegalStateException
            && m != null
            && (m.contains("HTTP/1.1 not supported") || m.contains("Unsupported protocol"))
        || noApplicationProtocol(cause)) {
      return new IllegalStateException(
          "target "
              + key
              + " did not offer h2 in TLS ALPN (protocol h2 needs it; auto falls back)");
    }
    return cause;
  }

  private static boolean noApplicationProtocol(Throwable e) {
    for (int i = 0; e != null && i < 8; e = e.getCause(), i++) {
      String m = e.getMessage();
      if (m != null && m.toLowerCase(java.util.Locale.ROOT).contains("no_application_protocol"))
        return true;
    }
    return false;
  }

  /**
   * An exchange on c ended: its stream is free again. An HTTP/1.1 connection (auto) left in an
   * unknown state ({@code reuse} false) is closed; a connection going away closes when its last
   * stream ends.
   */
  void release(Conn c, boolean reuse) {
    if (c.active > 0 && --c.active == 0) c.idleSince = System.nanoTime();
    if (!c.closed) {
      if (!c.multiplexed() && !reuse) c.http.close();
      else if ((c.goingAway || closed) && c.active == 0) c.http.close();
    }
    pump();
  }

  Future<Void> close() {
    closed = true;
    List<Future<Void>> fs = new ArrayList<>();
    for (Conn c : new ArrayList<>(conns)) if (c.active == 0) fs.add(c.http.close());
    Waiter w;
    while ((w = waiters.pollFirst()) != null) {
      if (w.timer() >= 0) vertx.cancelTimer(w.timer());
      w.promise().tryFail("the upstream's client is closed");
    }
    return Future.join(fs).mapEmpty();
  }
}
