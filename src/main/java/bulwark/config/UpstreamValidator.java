package bulwark.config;

import java.net.URI;
import java.util.List;
import java.util.Set;

/**
 * Checks of an upstream: targets, balancer, timeouts, health checks, circuit breaker, retry,
 * overload and TLS.
 */
final class UpstreamValidator {
  static final Set<String> BALANCERS =
      Set.of("round_robin", "least_request", "consistent_hash", "random");

  private final ConfigErrors err;
  private final PemChecks pem;

  UpstreamValidator(ConfigErrors err) {
    this.err = err;
    this.pem = new PemChecks(err);
  }

  void upstream(String p, UpstreamConfig u) {
    if (u.discovery() != null) {
      err.check(
          u.targets().isEmpty(),
          p + ".discovery",
          "an upstream has either targets or discovery, and this one has both: remove one");
      DiscoveryChecks.check(err, p + ".discovery", u.discovery());
    } else if (u.targets().isEmpty()) {
      err.error(p + ".targets", "at least one target (or a discovery section) is required");
    }
    for (int i = 0; i < u.targets().size(); i++) {
      TargetConfig t = u.targets().get(i);
      String tp = p + ".targets[" + i + "]";
      err.check(
          t.weight() >= 1 && t.weight() <= 1000, tp + ".weight", "must be between 1 and 1000");
      if (t.url() == null) continue;
      try {
        URI uri = new URI(t.url());
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
          err.error(tp + ".url", "'" + t.url() + "' must start with http:// or https://");
        } else if (uri.getHost() == null) {
          err.error(tp + ".url", "'" + t.url() + "' has no host");
        } else if (uri.getRawPath() != null
            && !uri.getRawPath().isEmpty()
            && !uri.getRawPath().equals("/")) {
          err.error(tp + ".url", "'" + t.url() + "' must not have a path (use a route rewrite)");
        } else if (uri.getRawQuery() != null
            || uri.getRawFragment() != null
            || uri.getUserInfo() != null) {
          err.error(tp + ".url", "'" + t.url() + "' must not have a query, fragment or user info");
        }
      } catch (Exception e) {
        err.error(tp + ".url", "'" + t.url() + "' is not a URL");
      }
    }
    if (u.balancer() != null && !BALANCERS.contains(u.balancer())) {
      err.error(
          p + ".balancer",
          "unknown balancer '"
              + u.balancer()
              + "'"
              + Suggest.didYouMean(
                  u.balancer(),
                  List.of("round_robin", "least_request", "consistent_hash", "random")));
    }
    if (u.hashOn() != null) {
      String h = u.hashOn();
      boolean hashOk =
          h.equals("client_ip")
              || h.equals("path")
              || ((h.startsWith("header:") || h.startsWith("cookie:"))
                  && Syntax.TOKEN.matcher(h.substring(h.indexOf(':') + 1)).matches());
      if (!hashOk) {
        err.error(p + ".hashOn", "'" + h + "' must be client_ip, path, header:NAME or cookie:NAME");
      } else if (BALANCERS.contains(u.balancer()) && !"consistent_hash".equals(u.balancer())) {
        // an unknown balancer already has its own error
        err.error(
            p + ".hashOn",
            "is only used by balancer consistent_hash, and this upstream's balancer is "
                + u.balancer()
                + ": set balancer: consistent_hash or remove hashOn");
      }
    }
    err.check(
        u.maxConnectionsPerTarget() >= 1, p + ".maxConnectionsPerTarget", "must be at least 1");
    err.check(u.maxTunnelsPerTarget() >= 1, p + ".maxTunnelsPerTarget", "must be at least 1");
    if (u.timeouts() != null) {
      err.positive(u.timeouts().connect(), p + ".timeouts.connect");
      err.positive(u.timeouts().response(), p + ".timeouts.response");
      err.positive(u.timeouts().idle(), p + ".timeouts.idle");
    }
    if (u.healthCheck() != null) health(p + ".healthCheck", u.healthCheck());
    if (u.circuitBreaker() != null) breaker(p + ".circuitBreaker", u.circuitBreaker());
    if (u.retry() != null) retry(p + ".retry", u.retry(), u.protocol());
    if (u.h2() != null) {
      err.positive(u.h2().pingInterval(), p + ".h2.pingInterval");
      err.positive(u.h2().pingTimeout(), p + ".h2.pingTimeout");
      if (u.h2().pingInterval() != null && (u.protocol() == null || !u.protocol().multiplexed()))
        err.error(
            p + ".h2.pingInterval",
            "PINGs are HTTP/2 frames, and protocol is http1: set protocol h2c, h2 or auto, or"
                + " remove h2");
    }
    if (u.overload() != null) overload(p + ".overload", u.overload());
    if (u.tls() != null) upstreamTls(p + ".tls", u.tls(), u);
    err.named(p + ".protocol");
    if (u.protocol() != null) protocol(p, u);
    if (u.healthCheck() != null && u.healthCheck().active() != null) grpcCheck(p, u);
  }

  /**
   * A gRPC health check: type and the grpc section agree, the http-only fields are not set, and the
   * upstream speaks HTTP/2 to its targets (gRPC needs it).
   */
  private void grpcCheck(String p, UpstreamConfig u) {
    ActiveCheckConfig a = u.healthCheck().active();
    String ap = p + ".healthCheck.active";
    if (a.grpc() != null && a.type() != null && a.type() != HealthCheckType.GRPC) {
      err.error(
          ap + ".type",
          "is "
              + a.type()
              + ", and the grpc section asks for a gRPC check: remove type (or set it to grpc), or remove grpc");
      return;
    }
    if (a.type() != HealthCheckType.GRPC) return;
    String gp = a.grpc() != null ? ap + ".grpc" : ap + ".type";
    if (a.path() != null && !a.path().equals("/health")) {
      err.error(
          ap + ".path",
          "is for http checks: a gRPC check always calls /grpc.health.v1.Health/Check (name the service in grpc.service)");
    }
    if (!a.statuses().isEmpty()) {
      err.error(
          ap + ".statuses",
          "are for http checks: a gRPC check passes on grpc-status 0 and SERVING");
    }
    UpstreamProtocol proto = u.protocol() == null ? UpstreamProtocol.HTTP1 : u.protocol();
    if (proto == UpstreamProtocol.HTTP1) {
      err.error(
          gp,
          "a gRPC health check needs HTTP/2, and this upstream's protocol is http1"
              + (u.protocol() == null ? " (the default)" : "")
              + ": set protocol to h2c (http:// targets), h2 or auto (https:// targets)");
    } else if (proto == UpstreamProtocol.AUTO) {
      if (u.discovery() != null) {
        err.error(
            gp,
            "a gRPC health check needs HTTP/2, and protocol auto speaks HTTP/1.1 to the http:// targets that discovery finds: use protocol h2c");
        return;
      }
      for (int i = 0; i < u.targets().size(); i++) {
        String url = u.targets().get(i).url();
        if (url == null || !url.startsWith("http://")) continue;
        err.error(
            gp,
            "a gRPC health check needs HTTP/2, and protocol auto speaks HTTP/1.1 to http:// targets such as targets["
                + i
                + "] '"
                + url
                + "': use protocol h2c for plain-TCP targets, or https:// URLs");
        return;
      }
    }
  }

  /** h2 needs TLS (ALPN), h2c plain TCP: each target's scheme must fit the protocol. */
  private void protocol(String p, UpstreamConfig u) {
    UpstreamProtocol proto = u.protocol();
    if (proto != UpstreamProtocol.H2 && proto != UpstreamProtocol.H2C) return;
    boolean tls = proto == UpstreamProtocol.H2;
    if (tls && u.discovery() != null) {
      err.error(
          p + ".protocol",
          "h2 is HTTP/2 over TLS, and targets found by discovery are http://: use h2c (HTTP/2 over plain TCP) or a fixed list of https:// targets");
    }
    for (int i = 0; i < u.targets().size(); i++) {
      String url = u.targets().get(i).url();
      if (url == null || url.startsWith(tls ? "https://" : "http://")) continue;
      err.error(
          p + ".protocol",
          tls
              ? "h2 is HTTP/2 over TLS (ALPN) and needs https:// targets, and targets["
                  + i
                  + "] is '"
                  + url
                  + "': use an https:// URL, or h2c for HTTP/2 over plain TCP"
              : "h2c is HTTP/2 over plain TCP and needs http:// targets, and targets["
                  + i
                  + "] is '"
                  + url
                  + "': use h2 for HTTP/2 over TLS");
    }
  }

  private void upstreamTls(String p, UpstreamTlsConfig t, UpstreamConfig u) {
    boolean anyHttps =
        u.targets().stream().anyMatch(x -> x.url() != null && x.url().startsWith("https://"));
    err.check(anyHttps, p, "applies to https:// targets, and this upstream has none");
    for (int i = 0; i < t.ca().size(); i++)
      pem.pemCertificates(t.ca().get(i), p + ".ca[" + i + "]");
    if (t.serverName() != null)
      err.check(
          Syntax.HOST.matcher(t.serverName()).matches() && !t.serverName().startsWith("*"),
          p + ".serverName",
          "'" + t.serverName() + "' is not a host name");
    if ((t.cert() == null) != (t.key() == null)) {
      err.error(
          t.cert() == null ? p + ".cert" : p + ".key",
          "a client certificate needs both cert and key");
    }
    boolean certOk = t.cert() != null && pem.pemCertificates(t.cert(), p + ".cert");
    boolean keyOk = t.key() != null && pem.pemKey(t.key(), p + ".key");
    if (certOk && keyOk) pem.pair(t.cert(), t.key(), p + ".key");
  }

  private void health(String p, HealthCheckConfig h) {
    ActiveCheckConfig a = h.active();
    if (a != null) {
      String ap = p + ".active";
      err.named(ap + ".type");
      err.check(
          a.path() != null && a.path().startsWith("/"),
          ap + ".path",
          "'" + a.path() + "' must start with /");
      for (int i = 0; i < a.statuses().size(); i++) {
        int s = a.statuses().get(i);
        err.check(s >= 100 && s <= 599, ap + ".statuses[" + i + "]", s + " is not an HTTP status");
      }
      err.positive(a.interval(), ap + ".interval");
      err.positive(a.timeout(), ap + ".timeout");
      err.check(a.healthyThreshold() >= 1, ap + ".healthyThreshold", "must be at least 1");
      err.check(a.unhealthyThreshold() >= 1, ap + ".unhealthyThreshold", "must be at least 1");
      if (a.timeout() != null && a.interval() != null && a.timeout().compareTo(a.interval()) > 0) {
        err.error(
            ap + ".timeout",
            "must not be longer than interval (" + Durations.format(a.interval()) + ")");
      }
    }
    PassiveCheckConfig pc = h.passive();
    if (pc != null) {
      err.check(
          pc.consecutiveFailures() >= 1, p + ".passive.consecutiveFailures", "must be at least 1");
      err.positive(pc.ejectFor(), p + ".passive.ejectFor");
    }
    if (h.score() != null) {
      ScoreWeights w = h.score().weights();
      if (w != null) {
        err.check(w.network() >= 0, p + ".score.weights.network", "must not be negative");
        err.check(w.health() >= 0, p + ".score.weights.health", "must not be negative");
        err.check(w.resources() >= 0, p + ".score.weights.resources", "must not be negative");
        err.check(w.dependencies() >= 0, p + ".score.weights.dependencies", "must not be negative");
        err.check(
            w.network() + w.health() + w.resources() + w.dependencies() > 0,
            p + ".score.weights",
            "at least one weight must be above 0");
      }
      err.check(
          h.score().floor() >= 0 && h.score().floor() <= 100,
          p + ".score.floor",
          "must be between 0 and 100");
    }
  }

  private void breaker(String p, CircuitBreakerConfig b) {
    err.check(
        b.failureRateThreshold() == null || b.failureRateThreshold().value() > 0,
        p + ".failureRateThreshold",
        "must be above 0%");
    err.check(
        b.slowCallRateThreshold() == null || b.slowCallRateThreshold().value() > 0,
        p + ".slowCallRateThreshold",
        "must be above 0%");
    err.positive(b.slowCallThreshold(), p + ".slowCallThreshold");
    err.named(p + ".windowType");
    err.check(b.window() >= 1, p + ".window", "must be at least 1");
    err.check(b.minimumCalls() >= 1, p + ".minimumCalls", "must be at least 1");
    err.positive(b.openFor(), p + ".openFor");
    err.check(b.halfOpenCalls() >= 1, p + ".halfOpenCalls", "must be at least 1");
    err.positive(b.maxHalfOpenWait(), p + ".maxHalfOpenWait");
    err.named(p + ".scope");
  }

  private void retry(String p, RetryConfig r, UpstreamProtocol protocol) {
    err.check(r.attempts() >= 1 && r.attempts() <= 10, p + ".attempts", "must be between 1 and 10");
    err.namedUnder(p + ".on[");
    for (int i = 0; r.on() != null && i < r.on().size(); i++) {
      RetryOn on = r.on().get(i);
      if (on != null && on.grpc() != null && (protocol == null || !protocol.multiplexed()))
        err.error(
            p + ".on[" + i + "]",
            "the gRPC status '"
                + on.grpc()
                + "' needs HTTP/2 toward the upstream (gRPC is HTTP/2): set protocol h2c, h2 or"
                + " auto");
    }
    err.positive(r.backoff(), p + ".backoff");
    err.positive(r.maxBackoff(), p + ".maxBackoff");
    err.positive(r.perTryTimeout(), p + ".perTryTimeout");
    err.check(r.minRetriesPerSecond() >= 0, p + ".minRetriesPerSecond", "must not be negative");
  }

  private void overload(String p, OverloadConfig o) {
    err.check(o.maxInFlight() >= 0, p + ".maxInFlight", "must not be negative");
    err.check(o.maxPending() >= 0, p + ".maxPending", "must not be negative");
    AdaptiveConcurrencyConfig a = o.adaptive();
    if (a == null) return;
    String ap = p + ".adaptive";
    err.named(ap + ".algorithm");
    err.check(a.minLimit() >= 1, ap + ".minLimit", "must be at least 1");
    err.check(a.maxLimit() >= a.minLimit(), ap + ".maxLimit", "must be at least minLimit");
    err.check(
        a.initialLimit() >= a.minLimit() && a.initialLimit() <= a.maxLimit(),
        ap + ".initialLimit",
        "must be between minLimit and maxLimit");
    err.positive(a.latencyThreshold(), ap + ".latencyThreshold");
  }
}
