package bulwark.proxy;

import bulwark.upstream.Target;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.impl.NoStackTraceTimeoutException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTTP/1.1 connections of one upstream on one event loop, with the number of exchanges using
 * them. Confined to its event loop.
 *
 * <p>Bulwark keeps the keep-alive connections itself, per target (by its key): a stack of idle connections (the
 * most recently used first), at most {@code maxConnectionsPerTarget} open, and a queue of
 * requests waiting for one when all are busy. Vert.x's pooled {@code HttpClient} does the same
 * job through its endpoint manager and a general-purpose pool, which cost about 2 µs per request
 * more on this path (see docs/performance.md). The connections come from
 * {@link HttpClientAgent#connect}; everything else about them (codec, TLS, idle timeout) is
 * Vert.x's.
 *
 * <p>A connection goes back to its stack only when an exchange ended cleanly on it: the whole
 * request sent and the whole response read, with no {@code Connection: close}. Every other end
 * (a reset, a failed or abandoned try, an early response) closes it, so a connection in an
 * unknown state is never reused. A client whose upstream a reload replaced is closed only once
 * its last exchange has finished, so a reload never cuts a request.
 */
public final class UpstreamClient {
  private final Vertx vertx;
  final HttpClientAgent http;
  private final int maxPerTarget;
  private final Map<String, Slot> slots = new HashMap<>();
  private int inFlight;
  private boolean retired;
  private boolean closed;

  /** One target's connections. */
  private static final class Slot {
    final ArrayDeque<Conn> idle = new ArrayDeque<>();
    final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    final HttpConnectOptions options;
    /** Connecting, idle and in use. */
    int open;

    Slot(HttpConnectOptions options) {
      this.options = options;
    }
  }

  /** One upstream connection, idle on its slot's stack or held by one exchange. */
  public static final class Conn {
    final HttpClientConnection http;
    private final Slot slot;
    private boolean closed;

    private Conn(HttpClientConnection http, Slot slot) {
      this.http = http;
      this.slot = slot;
    }
  }

  private record Waiter(Promise<Conn> promise, long timer) {}

  UpstreamClient(Vertx vertx, HttpClientAgent http, int maxPerTarget) {
    this.vertx = vertx;
    this.http = http;
    this.maxPerTarget = Math.max(1, maxPerTarget);
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

  /** An idle connection to t, most recently used first, or null. */
  Conn idle(Target t) {
    Slot s = slots.get(t.key());
    return s == null ? null : s.idle.pollFirst();
  }

  /**
   * A connection to t: an idle one, else a new one while fewer than maxConnectionsPerTarget are
   * open, else the next one freed. A wait longer than the connect timeout fails with a timeout.
   * The options are used when t has no connections yet.
   */
  Future<Conn> connection(Target t, HttpConnectOptions options) {
    if (closed) return Future.failedFuture("the upstream's client is closed");
    Slot s = slots.computeIfAbsent(t.key(), k -> new Slot(options));
    Conn c = s.idle.pollFirst();
    if (c != null) return Future.succeededFuture(c);
    if (s.open < maxPerTarget) return open(s);
    Promise<Conn> p = Promise.promise();
    long timeout = s.options.getConnectTimeout();
    long timer = timeout > 0 ? vertx.setTimer(timeout, id -> {
      for (var it = s.waiters.iterator(); it.hasNext(); ) {
        if (it.next().promise() == p) {
          it.remove();
          p.tryFail(new NoStackTraceTimeoutException("no connection to " + t.key() + " was free within " + timeout + "ms"));
          return;
        }
      }
    }) : -1;
    s.waiters.add(new Waiter(p, timer));
    return p.future();
  }

  private Future<Conn> open(Slot s) {
    s.open++;
    return http.connect(s.options).map(hc -> {
      DeferredFlush.install(hc); // its flushes wait for the end of the event loop's batch
      Conn c = new Conn(hc, s);
      hc.closeHandler(v -> {
        c.closed = true;
        s.idle.remove(c);
        slotFreed(s);
      });
      if (closed) hc.close();
      return c;
    }).andThen(ar -> {
      if (ar.failed()) slotFreed(s);
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
    if (c.closed) return;
    if (closed) {
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
    if (!c.closed) c.http.close();
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
    fs.add(http.close());
    return Future.join(fs).mapEmpty();
  }
}
