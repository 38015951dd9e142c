package bulwark.upstream.resilience;

import bulwark.config.CircuitBreakerConfig;
import bulwark.config.WindowType;
import bulwark.upstream.target.Outcome;
import bulwark.upstream.target.UpstreamEvents;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Resilience4j circuit breaker for one upstream (or one route of it). Every try of a request is
 * one call: a connect failure, reset, timeout or 5xx is a failure, anything below 500 a success,
 * and a call slower than the slow-call threshold (to the response head) is slow.
 *
 * <p>Resilience4j moves OPEN to HALF_OPEN itself, by the injected clock, on the first call after
 * {@code openFor}. The longest stay in HALF_OPEN ({@code maxHalfOpenWait}) is enforced here, by the
 * same clock, on the next call: a probe that hangs cannot pin the breaker half-open.
 */
public final class Breaker {
  private static final Logger LOG = LoggerFactory.getLogger(Breaker.class);

  /** What a failed call is recorded with: only its presence matters. */
  private static final Exception FAILURE = new Exception("upstream failure", null, false, false) {};

  private final String name;
  private final CircuitBreaker cb;
  private final Clock clock;
  private final long openForMillis;
  private final long maxHalfOpenWaitMillis;
  private volatile long stateSinceMillis;

  public Breaker(String name, CircuitBreakerConfig c, Clock clock) {
    this(name, name, c, clock, UpstreamEvents.NONE);
  }

  /**
   * @param name the breaker's name: the upstream's, or "upstream/route" for a route-scope breaker
   * @param upstream the upstream it guards
   * @param events hears every state transition
   */
  public Breaker(
      String name, String upstream, CircuitBreakerConfig c, Clock clock, UpstreamEvents events) {
    this.name = name;
    this.clock = clock;
    this.openForMillis = c.openFor().toMillis();
    this.maxHalfOpenWaitMillis = c.maxHalfOpenWait().toMillis();
    boolean time = c.windowType() == WindowType.TIME;
    var cfg =
        io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.custom()
            .failureRateThreshold((float) c.failureRateThreshold().value())
            .slowCallRateThreshold((float) c.slowCallRateThreshold().value())
            .slowCallDurationThreshold(c.slowCallThreshold())
            .slidingWindowType(time ? SlidingWindowType.TIME_BASED : SlidingWindowType.COUNT_BASED)
            .slidingWindowSize(c.window())
            .minimumNumberOfCalls(c.minimumCalls())
            .waitDurationInOpenState(c.openFor())
            .permittedNumberOfCallsInHalfOpenState(c.halfOpenCalls())
            .clock(clock)
            .build();
    this.cb = CircuitBreaker.of(name, cfg);
    this.stateSinceMillis = clock.millis();
    cb.getEventPublisher()
        .onStateTransition(
            e -> {
              stateSinceMillis = clock.millis();
              var m = cb.getMetrics();
              LOG.info(
                  "circuit breaker '{}': {} -> {} (failure rate {}%, slow-call rate {}%, {} calls in the window)",
                  name,
                  e.getStateTransition().getFromState(),
                  e.getStateTransition().getToState(),
                  fmt(m.getFailureRate()),
                  fmt(m.getSlowCallRate()),
                  m.getNumberOfBufferedCalls());
              events.breakerTransition(
                  upstream,
                  name,
                  e.getStateTransition().getFromState().name(),
                  e.getStateTransition().getToState().name());
            });
  }

  private static String fmt(float rate) {
    return rate < 0 ? "-" : String.valueOf(Math.round(rate * 10) / 10.0);
  }

  public String name() {
    return name;
  }

  /**
   * Whether a call may go ahead. When true, {@link #onResult} or {@link #release} must follow once.
   */
  public boolean tryAcquire() {
    if (cb.getState() == CircuitBreaker.State.HALF_OPEN
        && clock.millis() - stateSinceMillis >= maxHalfOpenWaitMillis) {
      LOG.warn(
          "circuit breaker '{}': half-open probes did not finish within {}ms; opening again",
          name,
          maxHalfOpenWaitMillis);
      try {
        cb.transitionToOpenState();
      } catch (IllegalStateException raced) {
        // another thread moved it first
      }
    }
    return cb.tryAcquirePermission();
  }

  /** Records a finished call. */
  public void onResult(Outcome outcome, long durationNanos) {
    if (outcome.failure()) cb.onError(durationNanos, TimeUnit.NANOSECONDS, FAILURE);
    else cb.onSuccess(durationNanos, TimeUnit.NANOSECONDS);
  }

  /**
   * A permitted call that never reached the upstream (the client left, or the request failed
   * first).
   */
  public void release() {
    cb.releasePermission();
  }

  /**
   * Forces the breaker open (Resilience4j FORCED_OPEN: every call refused until released), or
   * releases a forced breaker back to CLOSED; a breaker that is not forced is left as it is.
   */
  public void force(boolean open) {
    try {
      if (open && cb.getState() != CircuitBreaker.State.FORCED_OPEN)
        cb.transitionToForcedOpenState();
      else if (!open && cb.getState() == CircuitBreaker.State.FORCED_OPEN)
        cb.transitionToClosedState();
    } catch (IllegalStateException raced) {
      // another thread moved it first
    }
  }

  /** CLOSED, OPEN, HALF_OPEN (or another Resilience4j state). */
  public String state() {
    return cb.getState().name();
  }

  /** Whole seconds until an open breaker lets probes through; at least 1. */
  public long retryAfterSeconds() {
    long left = stateSinceMillis + openForMillis - clock.millis();
    return Math.max(1, (left + 999) / 1000);
  }

  public float failureRate() {
    return cb.getMetrics().getFailureRate();
  }

  public float slowCallRate() {
    return cb.getMetrics().getSlowCallRate();
  }

  public int bufferedCalls() {
    return cb.getMetrics().getNumberOfBufferedCalls();
  }

  Duration openFor() {
    return Duration.ofMillis(openForMillis);
  }
}
