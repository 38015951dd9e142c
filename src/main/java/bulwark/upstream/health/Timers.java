package bulwark.upstream.health;

import io.vertx.core.Vertx;

/**
 * One-shot timers, the only way health checking waits: Vert.x timers in production, a fake in tests
 * that moves the same ticker the rules read, so checks, ejections and returns are driven without
 * sleeping (STYLE habit 8).
 */
interface Timers {
  /**
   * Runs {@code task} once, {@code delayMillis} (at least 1) from now; returns an id for {@link
   * #cancel}.
   */
  long schedule(long delayMillis, Runnable task);

  void cancel(long id);

  /** Vert.x timers: a task runs on the context of the thread that scheduled it. */
  static Timers of(Vertx vertx) {
    return new Timers() {
      @Override
      public long schedule(long delayMillis, Runnable task) {
        return vertx.setTimer(delayMillis, id -> task.run());
      }

      @Override
      public void cancel(long id) {
        vertx.cancelTimer(id);
      }
    };
  }
}
