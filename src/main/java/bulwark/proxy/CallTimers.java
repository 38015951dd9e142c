package bulwark.proxy;

import io.vertx.core.Vertx;

/**
 * The Vert.x timers of one request's {@link UpstreamCall}, by name: each armed at most once at a
 * time, and a timer that fires after it was disarmed or re-armed is ignored.
 */
abstract sealed class CallTimers implements UpstreamIo permits HttpCall {
  /** No timer armed (Vert.x timer ids start at 0). */
  private static final long NONE = -1;

  private final Vertx vertx;
  private long routeTimer = NONE;
  private long responseTimer = NONE;
  private long retryTimer = NONE;

  /** What the filters already spent of the route timeout (a fault delay), in milliseconds. */
  private long routeSpentMillis;

  /** When the route timer is due (System.nanoTime), while it is armed. */
  private long routeDueNanos;

  CallTimers(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * The filters held the request this long before it went upstream: the route timer, when armed,
   * runs only for the rest of the route timeout.
   */
  void routeTimeoutSpent(long millis) {
    routeSpentMillis = millis;
  }

  /** The call the timers belong to. */
  abstract UpstreamCall call();

  @Override
  public void arm(Timer t, long millis) {
    disarm(t);
    switch (t) {
      case ROUTE -> {
        long left = Math.max(1, millis - routeSpentMillis);
        routeDueNanos = System.nanoTime() + left * 1_000_000;
        routeTimer = vertx.setTimer(left, this::routeTimerFired);
      }
      case RESPONSE -> responseTimer = vertx.setTimer(millis, this::responseTimerFired);
      case RETRY -> retryTimer = vertx.setTimer(millis, this::retryTimerFired);
    }
  }

  /** What is left of the route timeout in milliseconds (at least 1), or 0 when none is armed. */
  long routeLeftMillis() {
    if (routeTimer == NONE) return 0;
    return Math.max(1, (routeDueNanos - System.nanoTime()) / 1_000_000);
  }

  @Override
  public boolean routeTimeUp() {
    return routeTimer != NONE && System.nanoTime() - routeDueNanos >= 0;
  }

  private void routeTimerFired(long id) {
    if (id != routeTimer) return;
    routeTimer = NONE;
    call().timerFired(Timer.ROUTE);
  }

  private void responseTimerFired(long id) {
    if (id != responseTimer) return;
    responseTimer = NONE;
    call().timerFired(Timer.RESPONSE);
  }

  private void retryTimerFired(long id) {
    if (id != retryTimer) return;
    retryTimer = NONE;
    call().timerFired(Timer.RETRY);
  }

  @Override
  public void disarm(Timer t) {
    long id =
        switch (t) {
          case ROUTE -> routeTimer;
          case RESPONSE -> responseTimer;
          case RETRY -> retryTimer;
        };
    if (id == NONE) return;
    vertx.cancelTimer(id);
    switch (t) {
      case ROUTE -> routeTimer = NONE;
      case RESPONSE -> responseTimer = NONE;
      case RETRY -> retryTimer = NONE;
    }
  }
}
