package bulwark.audit;

import java.time.Clock;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts rate-limit refusals per (middleware, route) in windows of a fixed length; a window starts
 * at the first refusal after the previous one ended. {@link #refused} says when a refusal is the
 * one that takes its window above the threshold, which happens at most once per window. Lock-free
 * on the common path: a window is replaced only when it has ended.
 */
final class BurstWindows {
  private final long threshold;
  private final long windowMillis;
  private final Clock clock;
  private final ConcurrentHashMap<Key, Window> windows = new ConcurrentHashMap<>();

  private record Key(String middleware, String route) {}

  /** One window: when it started, refusals in it so far. */
  static final class Window {
    final long startMillis;
    final AtomicLong count = new AtomicLong();

    Window(long startMillis) {
      this.startMillis = startMillis;
    }
  }

  BurstWindows(long threshold, long windowMillis, Clock clock) {
    this.threshold = threshold;
    this.windowMillis = windowMillis;
    this.clock = clock;
  }

  /** Counts one refusal; returns its window when this refusal crosses the threshold, else null. */
  Window refused(String middleware, String route) {
    long now = clock.millis();
    Key k = new Key(middleware, route);
    Window w = windows.get(k);
    if (w == null || now - w.startMillis >= windowMillis) {
      w =
          windows.compute(
              k,
              (key, old) ->
                  old == null || now - old.startMillis >= windowMillis ? new Window(now) : old);
    }
    return w.count.incrementAndGet() == threshold + 1 ? w : null;
  }

  long threshold() {
    return threshold;
  }

  long windowMillis() {
    return windowMillis;
  }

  /** Forgets every window (after a reload, routes and middlewares may be gone). */
  void clear() {
    windows.clear();
  }
}
