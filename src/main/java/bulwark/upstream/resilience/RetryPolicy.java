package bulwark.upstream.resilience;

import bulwark.config.RetryConfig;
import bulwark.config.RetryOn;
import bulwark.upstream.target.Outcome;
import io.vertx.core.http.HttpMethod;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/** The retry rules of one upstream, and its budget. Immutable apart from the budget. */
public final class RetryPolicy {
  private final int attempts;
  private final boolean onConnect;
  private final boolean onReset;
  private final boolean onTimeout;
  private final boolean[] statuses = new boolean[600];
  private final boolean[] grpcStatuses = new boolean[17];
  private final long backoffNanos;
  private final long maxBackoffNanos;
  private final long perTryMillis;
  private final long maxBufferedBody;
  private final RetryBudget budget;

  public RetryPolicy(RetryConfig c, LongSupplier nanos) {
    this.attempts = c.attempts();
    boolean connect = false, reset = false, timeout = false;
    for (RetryOn on : c.on()) {
      if (on.grpc() != null) {
        grpcStatuses[on.grpc().code()] = true;
        continue;
      }
      if (on.condition() == null) {
        statuses[on.status()] = true;
        continue;
      }
      switch (on.condition()) {
        case CONNECT_FAILURE -> connect = true;
        case RESET -> reset = true;
        case TIMEOUT -> timeout = true;
      }
    }
    this.onConnect = connect;
    this.onReset = reset;
    this.onTimeout = timeout;
    this.backoffNanos = c.backoff().toNanos();
    this.maxBackoffNanos = c.maxBackoff().toNanos();
    this.perTryMillis = c.perTryTimeout() == null ? 0 : c.perTryTimeout().toMillis();
    this.maxBufferedBody = c.maxBufferedBody().bytes();
    this.budget = new RetryBudget(c.budget().fraction(), c.minRetriesPerSecond(), 10, nanos);
  }

  /** Tries in all, the first included. */
  public int attempts() {
    return attempts;
  }

  /** Whether this outcome (with this status, for a response) is one the policy retries. */
  public boolean retries(Outcome o, int status) {
    return retries(o, status, -1);
  }

  /**
   * Whether this outcome is one the policy retries: for a response, its HTTP status, or the gRPC
   * status of a trailers-only response ({@code grpcStatus}; -1 when there is none).
   */
  public boolean retries(Outcome o, int status, int grpcStatus) {
    return switch (o) {
      case CONNECT_FAILURE -> onConnect;
      case RESET -> onReset;
      case TIMEOUT -> onTimeout;
      case HTTP_5XX, SUCCESS -> retriesStatus(status, grpcStatus);
      // part of the response may have gone to the client: never sent again
      case BODY_RESET, BODY_TIMEOUT -> false;
      // the client left, or the request ended otherwise: there is no one to retry for
      case CANCELLED -> false;
    };
  }

  /**
   * Whether some response status is retried (so a response must be looked at before it is sent on).
   */
  public boolean retriesStatus(int status) {
    return status > 0 && status < 600 && statuses[status];
  }

  /**
   * Whether a response with this HTTP status, or (trailers-only) this gRPC status, is retried;
   * {@code grpcStatus} is -1 when the response head carries none.
   */
  public boolean retriesStatus(int status, int grpcStatus) {
    return retriesStatus(status)
        || grpcStatus > 0 && grpcStatus < grpcStatuses.length && grpcStatuses[grpcStatus];
  }

  /** Whether some gRPC status is retried. */
  public boolean retriesGrpc() {
    for (boolean b : grpcStatuses) if (b) return true;
    return false;
  }

  /** RFC 9110 idempotent methods. */
  public static boolean idempotent(HttpMethod m) {
    return m == HttpMethod.GET
        || m == HttpMethod.HEAD
        || m == HttpMethod.OPTIONS
        || m == HttpMethod.TRACE
        || m == HttpMethod.PUT
        || m == HttpMethod.DELETE;
  }

  /**
   * Full-jitter backoff before retry number {@code retry} (1 for the first retry), in milliseconds.
   */
  public long backoffMillis(int retry) {
    long cap = Math.min(maxBackoffNanos, backoffNanos << Math.min(20, retry - 1));
    if (cap <= 0) return 0;
    return ThreadLocalRandom.current().nextLong(cap + 1) / 1_000_000L;
  }

  /** Per-try response timeout in milliseconds, or 0 for the upstream's response timeout. */
  public long perTryMillis() {
    return perTryMillis;
  }

  public long maxBufferedBody() {
    return maxBufferedBody;
  }

  public RetryBudget budget() {
    return budget;
  }
}
