package bulwark.config;

import static bulwark.config.ConfigErrors.nz;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks of the cluster section and of each middleware: exactly one type, and the fields of that
 * type.
 */
final class MiddlewareValidator {
  /** The middleware type keys, for the "exactly one type key" message. */
  static final List<String> MIDDLEWARE_TYPES =
      List.of(
          "headers",
          "rateLimit",
          "jwt",
          "introspection",
          "apiKey",
          "basicAuth",
          "cors",
          "ipRules",
          "fault",
          "redirect",
          "compression");

  static final Set<String> JWT_ALGORITHMS =
      Set.of(
          "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "HS256",
          "HS384", "HS512");

  private final ConfigErrors err;

  MiddlewareValidator(ConfigErrors err) {
    this.err = err;
  }

  void cluster(ClusterConfig c) {
    boolean single = c.redis() != null && !c.redis().isEmpty();
    if (single == c.isRedisCluster()) {
      err.error(
          "cluster",
          single
              ? "set one of redis (one Redis) and redisCluster (a Redis Cluster), not both"
              : "needs redis (one Redis) or redisCluster (a Redis Cluster)");
    }
    if (single) redisUri("cluster.redis", c.redis(), false);
    for (int i = 0; i < c.redisCluster().size(); i++)
      redisUri("cluster.redisCluster[" + i + "]", c.redisCluster().get(i), true);
    err.positive(c.timeout(), "cluster.timeout");
  }

  /** A redis:// or rediss:// URI with a host; the password it may hold is never echoed. */
  private void redisUri(String p, String value, boolean clusterNode) {
    String shown = "'" + ClusterConfig.withoutPassword(value) + "'";
    if (value == null || value.isEmpty()) {
      err.error(p, "empty: expected redis://host:port");
      return;
    }
    try {
      URI u = new URI(value);
      if (!("redis".equals(u.getScheme()) || "rediss".equals(u.getScheme()))
          || u.getHost() == null) {
        err.error(p, shown + " must look like redis://host:port");
      } else if (clusterNode
          && u.getPath() != null
          && !u.getPath().isEmpty()
          && !u.getPath().equals("/")
          && !u.getPath().equals("/0")) {
        err.error(p, shown + ": a Redis Cluster has only database 0; remove the path");
      }
    } catch (Exception e) {
      err.error(p, shown + " is not a URI");
    }
  }

  void middleware(String p, MiddlewareConfig m, boolean haveCluster) {
    int types = (m.headers() != null ? 1 : 0) + (m.rateLimit() != null ? 1 : 0);
    types +=
        (m.jwt() != null ? 1 : 0)
            + (m.introspection() != null ? 1 : 0)
            + (m.apiKey() != null ? 1 : 0)
            + (m.basicAuth() != null ? 1 : 0)
            + (m.cors() != null ? 1 : 0)
            + (m.ipRules() != null ? 1 : 0)
            + (m.fault() != null ? 1 : 0)
            + (m.redirect() != null ? 1 : 0)
            + (m.compression() != null ? 1 : 0);
    if (types == 0 && !err.anyUnder(p + ".")) {
      err.error(
          p,
          "a middleware needs exactly one type key (known: "
              + String.join(", ", MIDDLEWARE_TYPES)
              + ")");
    }
    if (types > 1) err.error(p, "a middleware needs exactly one type key, this one has " + types);
    if (m.rateLimit() != null) rateLimit(p + ".rateLimit", m.rateLimit(), haveCluster);
    if (m.apiKey() != null) AccessChecks.apiKey(p + ".apiKey", m.apiKey(), err::error);
    if (m.basicAuth() != null) AccessChecks.basicAuth(p + ".basicAuth", m.basicAuth(), err::error);
    if (m.cors() != null) AccessChecks.cors(p + ".cors", m.cors(), err::error);
    if (m.ipRules() != null) AccessChecks.ipRules(p + ".ipRules", m.ipRules(), err::error);
    if (m.fault() != null) TrafficChecks.fault(p + ".fault", m.fault(), err::error);
    if (m.redirect() != null) {
      err.named(p + ".redirect.scheme");
      TrafficChecks.redirect(
          p + ".redirect", m.redirect(), err.failed(p + ".redirect.scheme"), err::error);
    }
    if (m.compression() != null) {
      err.namedUnder(p + ".compression.algorithms[");
      TrafficChecks.compression(
          p + ".compression",
          m.compression(),
          err.anyUnder(p + ".compression.algorithms["),
          err::error);
    }
    if (m.jwt() != null) jwt(p + ".jwt", m.jwt());
    if (m.introspection() != null) introspection(p + ".introspection", m.introspection());
    if (m.headers() != null) {
      ops(m.headers().request(), p + ".headers.request");
      ops(m.headers().response(), p + ".headers.response");
    }
  }

  private void rateLimit(String p, RateLimitConfig r, boolean haveCluster) {
    err.named(p + ".key");
    err.check(r.burst() >= 0, p + ".burst", "must not be negative");
    err.named(p + ".scope");
    err.named(p + ".onRedisFailure");
    if (r.scope() == RateLimitScope.CLUSTER && !haveCluster)
      err.error(
          p + ".scope",
          "scope cluster needs the top-level cluster section (cluster.redis or cluster.redisCluster)");
    err.check(r.maxKeys() >= 1, p + ".maxKeys", "must be at least 1");
  }

  private void jwt(String p, JwtConfig j) {
    int sources =
        (j.jwksUrl() != null ? 1 : 0) + (j.keys() != null ? 1 : 0) + (j.keysFile() != null ? 1 : 0);
    err.check(sources == 1, p, "a jwt middleware needs exactly one of jwksUrl, keys, keysFile");
    if (j.jwksUrl() != null) err.url(p + ".jwksUrl", j.jwksUrl());
    if (j.keysFile() != null)
      err.check(
          java.nio.file.Files.isReadable(java.nio.file.Path.of(j.keysFile())),
          p + ".keysFile",
          "cannot read '" + j.keysFile() + "'");
    err.check(
        !j.algorithms().isEmpty() || err.failed(p + ".algorithms"),
        p + ".algorithms",
        "at least one algorithm is required");
    for (int i = 0; i < j.algorithms().size(); i++) {
      String a = j.algorithms().get(i);
      if (!JWT_ALGORITHMS.contains(a)) {
        err.error(
            p + ".algorithms[" + i + "]",
            "none".equalsIgnoreCase(a)
                ? "'" + a + "' (unsigned tokens) is never accepted"
                : "unknown algorithm '" + a + "'" + Suggest.didYouMean(a, JWT_ALGORITHMS));
      }
    }
    if (j.clockSkew() != null)
      err.check(
          !j.clockSkew().isNegative()
              && j.clockSkew().compareTo(java.time.Duration.ofMinutes(10)) <= 0,
          p + ".clockSkew",
          "must be between 0s and 10m");
    err.positive(j.jwksRefresh(), p + ".jwksRefresh");
    err.positive(j.jwksMinRefresh(), p + ".jwksMinRefresh");
    err.positive(j.jwksMaxStale(), p + ".jwksMaxStale");
    err.positive(j.jwksTimeout(), p + ".jwksTimeout");
    access(p, j.token(), j.allow(), j.clientRule(), j.forwardClaims());
  }

  private void introspection(String p, IntrospectionConfig c) {
    if (c.endpoint() != null) err.url(p + ".endpoint", c.endpoint());
    err.check(
        (c.clientId() == null) == (c.clientSecret() == null),
        p + ".clientSecret",
        "clientId and clientSecret are set together");
    err.positive(c.cacheTtl(), p + ".cacheTtl");
    err.check(
        c.inactiveCacheTtl() == null || !c.inactiveCacheTtl().isNegative(),
        p + ".inactiveCacheTtl",
        "must not be negative");
    err.positive(c.timeout(), p + ".timeout");
    err.check(c.maxCacheEntries() >= 1, p + ".maxCacheEntries", "must be at least 1");
    err.named(p + ".onFailure");
    access(p, c.token(), c.allow(), c.clientRule(), c.forwardClaims());
  }

  /** The fields the jwt and introspection middlewares share. */
  private void access(
      String p, String token, List<String> allow, String clientRule, Map<String, String> forward) {
    String t = nz(token);
    boolean tokenOk =
        t.equals("header")
            || ((t.startsWith("cookie:") || t.startsWith("query:"))
                && Syntax.TOKEN.matcher(t.substring(t.indexOf(':') + 1)).matches());
    err.check(tokenOk, p + ".token", "'" + t + "' must be header, cookie:NAME or query:NAME");
    err.check(
        !allow.isEmpty() || err.failed(p + ".allow"),
        p + ".allow",
        "must name user, client or both");
    for (int i = 0; i < allow.size(); i++) {
      err.check(
          allow.get(i).equals("user") || allow.get(i).equals("client"),
          p + ".allow[" + i + "]",
          "'" + allow.get(i) + "' must be user or client");
    }
    String r = nz(clientRule);
    boolean ruleOk =
        r.equals("auto")
            || (r.startsWith("claim:") && r.indexOf('=') > 6 && r.indexOf('=') < r.length() - 1);
    err.check(ruleOk, p + ".clientRule", "'" + r + "' must be auto or claim:NAME=VALUE");
    forward.forEach(
        (claim, header) ->
            err.check(
                Syntax.TOKEN.matcher(header).matches(),
                p + ".forwardClaims." + claim,
                "'" + header + "' is not a valid header name"));
  }

  private void ops(HeaderOps ops, String p) {
    if (ops == null) return;
    ops.set()
        .keySet()
        .forEach(
            k ->
                err.check(
                    Syntax.TOKEN.matcher(k).matches(), p + ".set." + k, "not a valid header name"));
    ops.add()
        .keySet()
        .forEach(
            k ->
                err.check(
                    Syntax.TOKEN.matcher(k).matches(), p + ".add." + k, "not a valid header name"));
    for (int i = 0; i < ops.remove().size(); i++)
      err.check(
          Syntax.TOKEN.matcher(ops.remove().get(i)).matches(),
          p + ".remove[" + i + "]",
          "not a valid header name");
  }
}
