package bulwark.observe;

import bulwark.config.BulwarkConfig;
import bulwark.filter.Exchange;
import bulwark.upstream.target.Outcome;
import bulwark.upstream.target.Target;
import bulwark.upstream.target.UpstreamEvents;
import io.vertx.core.MultiMap;
import java.util.List;

/**
 * What metrics, tracing, the audit log and remediation hear from the gateway. One instance per
 * gateway (the server's Gateway.telemetry()); every method has a no-op default, so each listener
 * implements only what it needs, and {@link #of} fans out to several.
 *
 * <p>The request methods run on the request's event loop and must not block. The others run on any
 * thread.
 */
public interface Telemetry extends UpstreamEvents {
  Telemetry NONE = new Telemetry() {};

  // ---- the request path (event loop) ----

  /** A request was received; nothing is routed yet ({@code ex.route()} is null). */
  default void requestStarted(Exchange ex) {}

  /**
   * A try is about to be sent to {@code target}: {@code ex.upstream()} and {@code ex.tryNo()} (1
   * for the first) are set. Observes only: the request is changed by {@link #propagate}, never
   * here.
   */
  default void tryStarted(Exchange ex, Target target) {}

  /**
   * The proxy's step right after {@link #tryStarted}: puts this try's trace context on {@code
   * headers}, the headers of the request about to go upstream (tracing replaces the client's
   * traceparent and tracestate). The one hook that writes to the request.
   */
  default void propagate(Exchange ex, MultiMap headers) {}

  /**
   * The try ended: {@code status} is the upstream's status, or 0 when there was none (connect
   * failure, reset, timeout). Called once per try; {@link Outcome#CANCELLED} when the client left
   * (or the request ended otherwise) before the try had an outcome.
   */
  default void tryEnded(Exchange ex, Target target, Outcome outcome, int status, long nanos) {}

  /** A failed try is retried ({@code ex.retries()} already counts it). */
  default void retried(Exchange ex) {}

  /** A retry was wanted but the upstream's retry budget refused it. */
  default void retryBudgetExhausted(Exchange ex) {}

  /**
   * A request on {@code route} was sampled for a copy to mirror upstream {@code upstream}; the copy
   * then ends once, in {@link #mirrorAnswered} or {@link #mirrorDropped}. Called on the request's
   * event loop, as are those two.
   */
  default void mirrored(String route, String upstream) {}

  /** The mirror copy got a response head with {@code status} (its body is read and discarded). */
  default void mirrorAnswered(String route, String upstream, int status) {}

  /** The mirror copy was not sent, or was abandoned before a response head, for {@code reason}. */
  default void mirrorDropped(String route, String upstream, MirrorDrop reason) {}

  /**
   * The exchange is over; {@code record} is what it came to (built once, immutable). {@code ex} is
   * passed for the observer's own state under its typed keys, not to be read for facts. Called
   * once, before the access log line is written.
   */
  default void requestFinished(Exchange ex, RequestRecord record) {}

  /**
   * A connection to {@code target} of {@code upstream} (protocol h2) failed because the target did
   * not offer h2 in TLS ALPN: a configuration mistake, counted (and logged once by the caller).
   */
  default void alpnRefused(String upstream, String target) {}

  /**
   * An HTTP/2 connection to {@code target} of {@code upstream} was closed because its PING went
   * unanswered for the upstream's h2.pingTimeout.
   */
  default void pingTimedOut(String upstream, String target) {}

  // ---- control-plane events (any thread) ----

  /** A circuit breaker changed state (CLOSED, OPEN, HALF_OPEN, FORCED_OPEN, ...). */
  @Override
  default void breakerTransition(String upstream, String breaker, String from, String to) {}

  /**
   * A reload attempt. {@code before} is the config that served until now; {@code after} is the new
   * one, or null when the reload was rejected (then {@code errors} lists why).
   */
  default void reloaded(
      String reason, BulwarkConfig before, BulwarkConfig after, List<String> errors) {}

  /**
   * A reload attempt of a config from etcd: as {@link #reloaded(String, BulwarkConfig,
   * BulwarkConfig, List)}, which it calls unless overridden, with the sync it came from ({@link
   * #configSynced} heard it just before); null for a reload of the file.
   */
  default void reloaded(
      String reason,
      BulwarkConfig before,
      BulwarkConfig after,
      List<String> errors,
      ConfigSync sync) {
    reloaded(reason, before, after, errors);
  }

  /**
   * A sync with the remote config source (etcd mode): a read or watch batch applied or refused, or
   * etcd unreachable. The first one reports the read at start.
   */
  default void configSynced(ConfigSync sync) {}

  /** The admin API answered a call. {@code peer} is the caller's address. */
  default void adminCall(String method, String path, int status, String peer) {}

  /** Flushes and stops exporters; the gateway is shutting down. */
  default void close() {}

  /** One telemetry that calls each of {@code parts} in order. */
  static Telemetry of(List<Telemetry> parts) {
    List<Telemetry> ps = parts.stream().filter(p -> p != null && p != NONE).toList();
    if (ps.isEmpty()) return NONE;
    if (ps.size() == 1) return ps.get(0);
    Telemetry[] a = ps.toArray(Telemetry[]::new);
    return new Fanout(a);
  }
}
