package bulwark.observe.metrics;

import io.micrometer.core.instrument.Timer;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The {@code bulwark_requests_seconds} timers of one route (or of "unmatched"), cached by method,
 * status and upstream so that recording a request allocates nothing: a lookup scans the few entries
 * of its method, comparing ints and the upstream name by identity first. A miss (the first request
 * of a combination) builds the timer and publishes a copied array.
 */
final class RequestTimers {
  static final String[] METHODS = {
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "OTHER"
  };

  private record Entry(int status, String upstream, Timer timer) {}

  /** What builds a timer the cache does not have yet. */
  interface Factory {
    Timer timer(String route, String method, int status, String upstream);
  }

  private final String route;
  private final Factory factory;

  /** Per method index, the entries seen so far; an array is never changed once published. */
  private final AtomicReferenceArray<Entry[]> byMethod = new AtomicReferenceArray<>(METHODS.length);

  RequestTimers(String route, Factory factory) {
    this.route = route;
    this.factory = factory;
    for (int i = 0; i < METHODS.length; i++) byMethod.set(i, new Entry[0]);
  }

  /** The index in {@link #METHODS}; anything not listed is OTHER. */
  static int methodIndex(String m) {
    return switch (m) {
      case "GET" -> 0;
      case "HEAD" -> 1;
      case "POST" -> 2;
      case "PUT" -> 3;
      case "PATCH" -> 4;
      case "DELETE" -> 5;
      case "OPTIONS" -> 6;
      case "TRACE" -> 7;
      case "CONNECT" -> 8;
      default -> 9;
    };
  }

  Timer timer(int method, int status, String upstream) {
    Entry[] es = byMethod.get(method);
    for (Entry e : es) {
      if (e.status == status && (e.upstream == upstream || e.upstream.equals(upstream)))
        return e.timer;
    }
    return add(method, status, upstream);
  }

  private synchronized Timer add(int method, int status, String upstream) {
    Entry[] es = byMethod.get(method);
    for (Entry e : es) {
      if (e.status == status && e.upstream.equals(upstream)) return e.timer;
    }
    Timer t = factory.timer(route, METHODS[method], status, upstream);
    Entry[] more = java.util.Arrays.copyOf(es, es.length + 1);
    more[es.length] = new Entry(status, upstream, t);
    byMethod.set(method, more);
    return t;
  }
}
