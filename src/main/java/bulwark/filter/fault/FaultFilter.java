package bulwark.filter.fault;

import bulwark.config.FaultConfig;
import bulwark.config.Percent;
import bulwark.filter.Chain;
import bulwark.filter.Exchange;
import bulwark.filter.Filter;
import bulwark.filter.FilterException;
import bulwark.filter.Key;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * The {@code fault} middleware (Envoy's fault filter): a sampled share of the eligible requests is
 * delayed, aborted, or both (the delay first). A delay is a Vert.x timer, never a blocked event
 * loop, and counts against the route timeout: a delay that reaches it ends the request with the
 * route's own 504, and a shorter one leaves the upstream only the rest ({@link Exchange#held}). An
 * abort is the gateway's own problem+json answer. With {@code allowRequestHeader}, {@value
 * #REQUEST_HEADER} asks for one fault on its request instead ({@link FaultSpec}). What was injected
 * is kept under {@link #INJECTED} for the metrics and the access log.
 */
public final class FaultFilter implements Filter {
  /** The per-request fault header: {@code abort=503}, {@code delay=200ms}, or both. */
  public static final String REQUEST_HEADER = "X-Bulwark-Fault";

  /** The fault injected on this request: {@code delay}, {@code abort} or {@code delay,abort}. */
  public static final Key<String> INJECTED = Key.of("fault.injected");

  static final String DELAY = "delay";
  static final String ABORT = "abort";
  static final String BOTH = "delay,abort";

  private final String name;
  private final double delayFraction;
  private final long delayMillis;
  private final double abortFraction;
  private final int abortStatus;
  private final String onlyWithHeader;
  private final boolean allowRequestHeader;
  private final long maxRequestDelayMillis;
  private final DoubleSupplier random;

  public FaultFilter(String name, FaultConfig config) {
    this(name, config, () -> ThreadLocalRandom.current().nextDouble());
  }

  /**
   * @param random uniform in [0, 1): one draw per configured fault per eligible request (tests
   *     inject their own)
   */
  public FaultFilter(String name, FaultConfig config, DoubleSupplier random) {
    this.name = name;
    this.delayFraction = config.delay() == null ? 0 : fraction(config.delay().percent());
    this.delayMillis = config.delay() == null ? 0 : config.delay().duration().toMillis();
    this.abortFraction = config.abort() == null ? 0 : fraction(config.abort().percent());
    this.abortStatus = config.abort() == null ? 0 : config.abort().status();
    this.onlyWithHeader = config.onlyWithHeader();
    this.allowRequestHeader = config.allowRequestHeader();
    this.maxRequestDelayMillis =
        config.maxRequestDelay() == null ? 30_000 : config.maxRequestDelay().toMillis();
    this.random = random;
  }

  private static double fraction(Percent p) {
    return p == null ? 1.0 : p.fraction();
  }

  @Override
  public Future<Void> handle(Exchange ex, Chain next) {
    long delay;
    int abort;
    String asked = allowRequestHeader ? ex.request().getHeader(REQUEST_HEADER) : null;
    if (asked != null) {
      FaultSpec spec;
      try {
        spec = FaultSpec.parse(asked, maxRequestDelayMillis);
      } catch (IllegalArgumentException e) {
        ex.reject(400, "Bad Request", REQUEST_HEADER + ": " + e.getMessage());
        return Future.succeededFuture();
      }
      // asked of this gateway: not passed on to the upstream (or a gateway behind it)
      if (ex.upstreamHeaders() != null) ex.upstreamHeaders().remove(REQUEST_HEADER);
      delay = spec.delayMillis();
      abort = spec.abortStatus();
    } else {
      if (onlyWithHeader != null && ex.request().getHeader(onlyWithHeader) == null)
        return next.next(ex);
      delay = delayMillis > 0 && sampled(delayFraction) ? delayMillis : 0;
      abort = abortStatus > 0 && sampled(abortFraction) ? abortStatus : 0;
    }
    if (delay == 0 && abort == 0) return next.next(ex);
    ex.put(INJECTED, delay > 0 ? (abort > 0 ? BOTH : DELAY) : ABORT);
    if (delay > 0) return delay(ex, next, delay, abort);
    abort(ex, abort);
    return Future.succeededFuture();
  }

  private boolean sampled(double fraction) {
    return fraction >= 1.0 || (fraction > 0 && random.getAsDouble() < fraction);
  }

  private void abort(Exchange ex, int status) {
    ex.reject(
        status,
        HttpResponseStatus.valueOf(status).reasonPhrase(),
        "fault injected by middleware '" + name + "': abort with " + status);
  }

  /**
   * Waits {@code millis} on a timer of the request's event loop, then aborts or goes on. A delay
   * that reaches what is left of the route timeout is cut there, with the route timeout's own 504.
   */
  private Future<Void> delay(Exchange ex, Chain next, long millis, int abort) {
    Context ctx = Vertx.currentContext();
    if (ctx == null) throw new IllegalStateException("a fault delay runs on an event loop");
    long timeout = ex.route() == null ? 0 : ex.route().timeoutMillis();
    long left = timeout - ex.heldNanos() / 1_000_000;
    boolean cut = timeout > 0 && millis >= left;
    long wait = cut ? Math.max(1, left) : millis;
    long start = System.nanoTime();
    Promise<Void> done = Promise.promise();
    ctx.owner()
        .setTimer(
            wait,
            id -> {
              ex.held(System.nanoTime() - start);
              if (ex.answered()) {
                done.complete(); // the client left while it waited
              } else if (cut) {
                // the same answer as the route timeout gives when it passes upstream
                ex.reject(504, "Gateway Timeout", "the route timeout of " + timeout + "ms passed");
                done.complete();
              } else if (abort > 0) {
                abort(ex, abort);
                done.complete();
              } else {
                try {
                  next.next(ex).onComplete(done);
                } catch (RuntimeException e) {
                  done.fail(new FilterException(this, e));
                }
              }
            });
    return done.future();
  }
}
