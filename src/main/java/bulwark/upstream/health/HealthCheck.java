package bulwark.upstream.health;

import bulwark.config.ActiveCheckConfig;
import bulwark.config.UpstreamTlsConfig;
import bulwark.upstream.target.Target;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * One kind of active check, with its own client (never the proxy's pools). check() is called on the
 * health checker's Vert.x context and must not block; the returned future always completes within
 * the configured timeout (a check that takes longer is an unreachable result, not a failure of the
 * future).
 */
public interface HealthCheck {
  Future<CheckResult> check(Target target);

  Future<Void> close();

  /** The check of {@code config.type()}: http (the default), tcp or grpc. */
  static HealthCheck newCheck(
      String upstream, ActiveCheckConfig config, UpstreamTlsConfig tls, Vertx vertx) {
    return switch (config.type()) {
      case TCP -> new TcpHealthCheck(upstream, config, vertx);
      case HTTP -> new HttpHealthCheck(upstream, config, tls, vertx);
      case GRPC -> new GrpcHealthCheck(upstream, config, tls, vertx);
    };
  }

  /** A short, single-line description of why a check could not reach its target. */
  static String describe(Throwable e) {
    String m = e.getMessage();
    if (m == null || m.isBlank()) {
      return e.getClass().getSimpleName();
    }
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
