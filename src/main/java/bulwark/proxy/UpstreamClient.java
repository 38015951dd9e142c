package bulwark.proxy;

import bulwark.transport.DeferredFlush;
import bulwark.transport.LastRead;
import bulwark.upstream.target.Target;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.impl.NoStackTraceTimeoutException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connections of one upstream on one event loop, with the number of exchanges using them.
 * Confined to its event loop. This is the HTTP/1.1 pool; an upstream whose protocol is h2c, h2 or
 * auto keeps its targets' connections in {@link H2Slot}s instead, shared as HTTP/2 streams (tunnels
 * stay here either way).
 *
 * <p>Bulwark keeps the keep-alive connections itself, per target (by its key): a stack of idle
 * connections (the most recently used first), at most {@code maxConnectionsPerTarget} open, and a
 * queue of requests waiting for one when all are busy. Vert.x's pooled {@code HttpClient} does the
 * same job through its endpoint manager and a general-purpose pool, which cost about 2 µs per
 * request more on this path (see docs/performance.md). The connections come from {@link
 * HttpClientAgent#connect}; everything else about them (codec, TLS, idle timeout) is Vert.x's.
 *
 * <p>A connection goes back to its stack only when an exchange ended cleanly on it: the whole
 * request sent and the whole response read, with no {@code Connection: close}. Every other end (a
 * reset, a failed or abandoned try, an early response) closes it, so a connection in an unknown
 * state is never reused. A client whose upstream a reload replaced is closed only once its last
 * exchange has finished, so a reload never cuts a request.
 *
 * <p>Tunnels (WebSockets) get connections of their own, outside the pool: at most {@code
 * maxTunnelsPerTarget} per target, never reused, never waited for. A tunnel lives as long as its
 * client wants, and would otherwise hold a pooled connection for all that time.
 */
public final class UpstreamClient {
  private final Vertx vertx;
  final HttpClientAgent http;
  private static final Logger LOG = LoggerFactory.getLogger(UpstreamClient.class);
  private final int maxPerTarget;
  private final int maxTunnelsPerTarget;
  private final Map<String, Slot> slots = new HashMap<>();

  /** The targets' HTTP/2 connections, when the upstream's protocol is not http1; else null. */
  private final Map<String, H2Slot> h2Slots;

  private int inFlight;
  private boolean retired;
  private boolean closed;

  /** One target's connections. */
  private static final class Slot {
    final ArrayDeque<Conn> idle = new ArrayDeque<>();
    final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    final String key;
    final HttpConnectOptions options;

    /** Connecting, idle and in use. */
    int open;

    /** Tunnel connections: connecting or open. */
    int tunnels;

    Slot(String key, HttpConnectOptions options) {
      this.key = key;
      this.options = options;
    }
  }

  /**
   * One upstream connection: an HTTP/1.1 one, idle on its slot's stack or held by one exchange; or,
   * for a multiplexed upstream, one of its target's {@link H2Slot}, whose streams the exchanges
   * share.
   */
  public static final class Conn {
    final HttpClientConnection http;
    private final Slot slot;

    /** The HTTP/2 target's connections this one belongs to; null for an HTTP/1.1 slot. */
    final H2Slot h2;

    /** A tunnel's connection: counted in its slot's tunnels, never pooled. */
    private final boolean tunnel;

    boolean closed;

    /** Exchanges using it at once (an H2Slot's): streams, or 1 for an HTTP/1.1 connection. */
    int active;

    /** It received GOAWAY (or shuts down): it takes no new streams. */
    boolean goingAway;

    // an H2Slot's PINGs (H2Slot.Pings): when it last read, since when it carries no stream, the
    // periodic look at it (-1: none), and when the PING waiting for its answer went (0: none)
    LastRead reads;
    long idleSince;
    long liveness = -1;
    long pingSent;

    private Conn(HttpClientConnection http, Slot slot, boolean tunnel) {
      this.http = http;
      this.slot = slot;
      this.h2 = null;
      this.tunnel = tunnel;
    }

    Conn(HttpClientConnection http, H2Slot h2) {
      this.http = http;
      this.slot = null;
      this.h2 = h2;
      this.tunnel = false;
    }

    /** Whether exchanges share it as HTTP/2 streams. */
    boolean multiplexed() {
      return h2 != null && http.protocolVersion() == HttpVersion.HTTP_2;
    }
  }

  private record Waiter(Promise<Conn> promise, long timer) {}

  /** PINGs on the HTTP/2 connections; null: none. */
  private final H2Slot.Pings pings;

  /** Hears what the HTTP/2 connections report (ALPN refusals, PING timeouts). */
  private final ConnectionEvents events;

  UpstreamClient(
      Vertx vertx,
      HttpClientAgent http,
      int maxPerTarget,
      int maxTunnelsPerTarget,
      boolean multiplexed) {
    this(vertx, http, maxPerTarget, maxTunnelsPerTarget, multiplexed, null, ConnectionEvents.NONE);
  }

  UpstreamClient(
      Vertx vertx,
      HttpClientAgent http,
      int maxPerTarget,
      int maxTunnelsPerTarget,
      boolean multiplexed,
      H2Slot.Pings pings,
      ConnectionEvents events) {
    this.pings = pings;
    this.events = events;
    this.vertx = vertx;
    this.http = http;
    this.maxPerTarget = Math.max(1, maxPerTarget);
    this.maxTunnelsPerTarget = Math.max(1, maxTunnelsPerTarget);
    this.h2Slots = multiplexed ? new HashMap<>() : null;
  }

  /** Whether its connections carry several exchanges at once (protocol h2c, h2 or auto). */
  boolean multiplexed() {
    return h2Slots != null;
  }

  void acquire() {
    inFlight++;
  }

  /** Called once when an exchange that used this client ends. */
  public void release() {
    inFlight--;
    if (retired && inFlight == 0) close();
  }

  void retire() {
    retired = true;
    if (inFlight == 0) close();
  }

  /** Closes when the exchanges using it have ended (none yet: the caller acquires next). */
  void retireWhenIdle() {
    retired = true;
  }

  /**
   * An idle connection to t, most recently used first, or null; for HTTP/2, a connection with a
   * free stream (taken).
   */
  Conn idle(Target t) {
    if (h2Slots != null) {
      H2Slot h = h2Slots.get(t.key());
      return h == null ? null : h.free();
    }
    Slot s = slots.get(t.key());
    return s == null ? null : s.idle.pollFirst();
  }

  /**
   * A connection to t: an idle one, else a new one while fewer than maxConnectionsPerTarget are
   * open, else the next one freed. A wait longer than the connect timeout fails with a timeout. The
   * options are used when t has no connections yet.
   */
  Future<Conn> connection(Target t, HttpConnectOptions options) {
    if (closed) return Future.failedFuture("the upstream's client is closed");
    if (h2Slots != null)
      return h2Slots
          .computeIfAbsent(
              t.key(), k -> new H2Slot(vertx, http, k, options, maxPerTarget, pings, events))
          .stream();
    Slot s = slots.computeIfAbsent(t.key(), k -> new Slot(k, options));
    Conn c = s.idle.pollFirst();
    if (c != null) return Future.succeededFuture(c);
    if (s.open < maxPerTarget) return open(s);
    Promise<Conn> p = Promise.promise();
    long timeout = s.options.getConnectTimeout();
    long timer =
        timeout > 0
            ? vertx.setTimer(
                timeout,
                id -> {
                  for (var it = s.waiters.iterator(); it.hasNext(); ) {
                    if (it.next().promise() == p) {
                      it.remove();
                      p.tryFail(
                          new NoStackTraceTimeoutException(
                              "no connection to "
                                  + t.key()
                                  + " was free within "
                                  + timeout
                                  + "ms"));
                      return;
                    }
                  }
                })
            : -1;
    s.waiters.add(new Waiter(p, timer));
    return p.future();
  }

  private Future<Conn> open(Slot s) {
    s.open++;
    return http.connect(s.options)
        .map(
            hc -> {
              DeferredFlush.install(hc); // its flushes wait for the end of the event loop's batch
              Conn c = new Conn(hc, s, false);
              quiet(hc, s);
              hc.closeHandler(
                  v -> {
                    c.closed = true;
                    s.idle.remove(c);
                    slotFreed(s);
                  });
              if (closed) hc.close();
              return c;
            })
        .andThen(
            ar -> {
              if (ar.failed()) slotFreed(s);
            });
  }

  /** Whether t has room for one more tunnel on this event loop. */
  boolean tunnelFree(Target t) {
    Slot s = slots.get(t.key());
    return s == null || s.tunnels < maxTunnelsPerTarget;
  }

  int maxTunnelsPerTarget() {
    return maxTunnelsPerTarget;
  }

  /**
   * A new connection to t for a tunnel (a WebSocket upgrade), counted until it closes ({@link
   * #tunnelClosed}); the caller checked {@link #tunnelFree} first.
   */
  Future<Conn> tunnel(Target t, HttpConnectOptions options) {
    if (closed) return Future.failedFuture("the upstream's client is closed");
    Slot s = slots.computeIfAbsent(t.key(), k -> new Slot(k, options));
    s.tunnels++;
    return http.connect(options)
        .map(
            hc -> {
              DeferredFlush.install(hc);
              Conn c = new Conn(hc, s, true);
              quiet(hc, s);
              // until the upgrade; after it the tunnel's own socket reports its close
              // (tunnelClosed)
              hc.closeHandler(v -> tunnelClosed(c));
              return c;
            })
        .andThen(
            ar -> {
              if (ar.failed()) s.tunnels--;
            });
  }

  /** A tunnel's connection closed (once; later calls do nothing). */
  void tunnelClosed(Conn c) {
    if (c.closed) return;
    c.closed = true;
    c.slot.tunnels--;
  }

  /**
   * An error on the connection itself (a reset while it is idle, say). Vert.x logs one it has no
   * handler for at ERROR with nothing to name it; the exchange using the connection, if any, hears
   * of it through its request and response and reports it (access log, metrics), so here it is only
   * a debug line that names the target.
   */
  private static void quiet(HttpClientConnection hc, Slot s) {
    quiet(hc, s.key);
  }

  static void quiet(HttpClientConnection hc, String key) {
    hc.exceptionHandler(
        e -> {
          if (LOG.isDebugEnabled())
            LOG.debug("upstream connection to {}: {}", key, String.valueOf(e.getMessage()));
        });
  }

  /** A connection closed, or never opened: a waiter, if any, gets a new one. */
  private void slotFreed(Slot s) {
    s.open--;
    Waiter w = s.waiters.pollFirst();
    if (w == null) return;
    if (w.timer() >= 0) vertx.cancelTimer(w.timer());
    if (closed) w.promise().tryFail("the upstream's client is closed");
    else open(s).onComplete(w.promise());
  }

  /** The exchange on c ended cleanly: c serves the next waiter, or goes back on its stack. */
  void recycle(Conn c) {
    if (c.h2 != null) {
      c.h2.release(c, true);
      return;
    }
    if (c.closed) return;
    if (closed || c.tunnel) {
      c.http.close();
      return;
    }
    Slot s = c.slot;
    Waiter w;
    while ((w = s.waiters.pollFirst()) != null) {
      if (w.timer() >= 0) vertx.cancelTimer(w.timer());
      if (w.promise().tryComplete(c)) return;
    }
    s.idle.addFirst(c);
  }

  /** c is in an unknown state (reset, abandoned, answered early): it is closed, not reused. */
  static void discard(Conn c) {
    if (c.h2 != null) c.h2.release(c, false);
    else if (!c.closed) c.http.close();
  }

  Future<Void> close() {
    if (closed) return Future.succeededFuture();
    closed = true;
    List<Future<Void>> fs = new ArrayList<>();
    for (Slot s : slots.values()) {
      for (Conn c : new ArrayList<>(s.idle)) fs.add(c.http.close());
      s.idle.clear();
      Waiter w;
      while ((w = s.waiters.pollFirst()) != null) {
        if (w.timer() >= 0) vertx.cancelTimer(w.timer());
        w.promise().tryFail("the upstream's client is closed");
      }
    }
    if (h2Slots != null) for (H2Slot h : h2Slots.values()) fs.add(h.close());
    fs.add(http.close());
    return Future.join(fs).mapEmpty();
  }
}
