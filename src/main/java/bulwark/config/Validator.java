package bulwark.config;

import java.net.URI;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Cross-field checks after binding. Adds to the shared error list; never throws. */
final class Validator {
  static final Set<String> BALANCERS = Set.of("round_robin", "least_request", "consistent_hash", "random");
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Pattern METHOD = Pattern.compile("[A-Z]+");
  private static final Pattern HOST = Pattern.compile("(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*");
  private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
  static final int MIN_ADMIN_TOKEN = 32;
  /** The middleware type keys, for the "exactly one type key" message. */
  static final List<String> MIDDLEWARE_TYPES = List.of("headers", "rateLimit", "jwt", "introspection", "apiKey", "basicAuth", "cors", "ipRules");

  private final List<ConfigError> errors;
  /** Fields that already failed to bind: their placeholder value (0, "") is not checked again. */
  private final Set<String> failed = new HashSet<>();

  /** Values the binder found to be none of their enum's names, reported here by {@link #named} in the validator's order. */
  private final Map<String, String> unknownNames;

  Validator(List<ConfigError> errors, Map<String, String> unknownNames) {
    this.errors = errors;
    this.unknownNames = unknownNames;
    for (ConfigError e : errors) failed.add(e.path());
    failed.addAll(unknownNames.keySet());
  }

  void validate(BulwarkConfig c) {
    if (c.server() != null) server(c.server());
    if (c.admin() != null) admin(c.admin());
    c.upstreams().forEach((name, u) -> upstream("upstreams." + name, u));
    if (c.cluster() != null) cluster(c.cluster());
    c.middlewares().forEach((name, m) -> middleware("middlewares." + name, m, c.cluster() != null));
    if (c.versioning() != null) {
      check(VERSION.matcher(nz(c.versioning().vendor())).matches(), "versioning.vendor", "'" + c.versioning().vendor() + "' is not a valid vendor name");
      check(VERSION.matcher(nz(c.versioning().defaultVersion())).matches(), "versioning.default", "'" + c.versioning().defaultVersion() + "' is not a valid version");
    }
    for (int i = 0; i < c.groups().size(); i++) group(c.groups().get(i), "groups[" + i + "]", c.middlewares());
    routes(c);
    if (c.remediation() != null) remediation(c);
    named("observability.logFormat");
    if (c.observability() != null && c.observability().tracing() != null) tracing("observability.tracing", c.observability().tracing());
    if (c.observability() != null && c.observability().audit() != null) audit(c.observability().audit(), "observability.audit");
  }

  private static final Pattern KAFKA_TOPIC = Pattern.compile("[A-Za-z0-9._-]{1,249}");
  /** Producer settings the Kafka audit sink fixes: ordering and delivery depend on them. */
  static final Set<String> KAFKA_FIXED = Set.of("acks", "enable.idempotence", "key.serializer", "value.serializer", "bootstrap.servers", "max.block.ms");

  private void audit(AuditConfig a, String p) {
    check(a.file() != null || a.kafka() != null, p, "set file, kafka or both (or remove the audit section)");
    if (a.file() != null) {
      java.nio.file.Path dir = java.nio.file.Path.of(a.file()).toAbsolutePath().getParent();
      check(dir != null && java.nio.file.Files.isDirectory(dir), p + ".file", "directory " + dir + " does not exist");
      check(!java.nio.file.Files.isDirectory(java.nio.file.Path.of(a.file())), p + ".file", a.file() + " is a directory");
    }
    check(a.queueSize() >= 1, p + ".queueSize", "must be at least 1");
    AuditKafkaConfig k = a.kafka();
    if (k == null) return;
    String kp = p + ".kafka";
    if (k.bootstrapServers() != null) {
      for (String hp : k.bootstrapServers().split(",")) hostPort(hp.trim(), kp + ".bootstrapServers");
    }
    check(KAFKA_TOPIC.matcher(nz(k.topic())).matches() && !".".equals(k.topic()) && !"..".equals(k.topic()), kp + ".topic",
        "'" + k.topic() + "' is not a Kafka topic name (letters, digits, '.', '_', '-'; at most 249)");
    positive(k.maxBlock(), kp + ".maxBlock");
    positive(k.closeTimeout(), kp + ".closeTimeout");
    for (String key : k.properties().keySet()) {
      check(!KAFKA_FIXED.contains(key), kp + ".properties." + key, "is set by Bulwark (use bootstrapServers / maxBlock, or leave it)");
    }
  }

  private void server(ServerConfig s) {
    hostPort(s.listen(), "server.listen");
    for (int i = 0; i < s.trustedProxies().size(); i++) {
      try {
        Cidr.parse(s.trustedProxies().get(i));
      } catch (IllegalArgumentException e) {
        error("server.trustedProxies[" + i + "]", e.getMessage());
      }
    }
    if (s.limits() != null) {
      check(s.limits().maxHeaderBytes() == null || s.limits().maxHeaderBytes().bytes() >= 1024, "server.limits.maxHeaderBytes", "must be at least 1KiB");
      positive(s.limits().requestHeaderTimeout(), "server.limits.requestHeaderTimeout");
      positive(s.limits().bodyReadTimeout(), "server.limits.bodyReadTimeout");
      positive(s.limits().idleTimeout(), "server.limits.idleTimeout");
    }
    if (s.tls() != null) tls(s.tls(), "server.tls");
    headerNames(s.stripHeaders(), "server.stripHeaders");
    headerNames(s.proxyOnlyHeaders(), "server.proxyOnlyHeaders");
  }

  private void headerNames(List<String> names, String p) {
    for (int i = 0; i < names.size(); i++) {
      String n = names.get(i);
      check(n != null && TOKEN.matcher(n).matches(), p + "[" + i + "]", "'" + n + "' is not a header name");
    }
  }

  private void tls(TlsConfig t, String p) {
    if (t.certificates().isEmpty()) error(p + ".certificates", "at least one certificate is required");
    for (int i = 0; i < t.certificates().size(); i++) {
      CertificateConfig c = t.certificates().get(i);
      String cp = p + ".certificates[" + i + "]";
      if (pemCertificates(c.cert(), cp + ".cert") & pemKey(c.key(), cp + ".key")) pair(c.cert(), c.key(), cp + ".key");
    }
    names(TlsVersion.class, t.minVersion(), p + ".minVersion");
    if (t.hsts() != null) check(t.hsts().maxAge() >= 0, p + ".hsts.maxAge", "must not be negative");
  }

  private void upstreamTls(String p, UpstreamTlsConfig t, UpstreamConfig u) {
    boolean anyHttps = u.targets().stream().anyMatch(x -> x.url() != null && x.url().startsWith("https://"));
    check(anyHttps, p, "applies to https:// targets, and this upstream has none");
    for (int i = 0; i < t.ca().size(); i++) pemCertificates(t.ca().get(i), p + ".ca[" + i + "]");
    if (t.serverName() != null) check(HOST.matcher(t.serverName()).matches() && !t.serverName().startsWith("*"), p + ".serverName", "'" + t.serverName() + "' is not a host name");
    if ((t.cert() == null) != (t.key() == null)) {
      error(t.cert() == null ? p + ".cert" : p + ".key", "a client certificate needs both cert and key");
    }
    boolean certOk = t.cert() != null && pemCertificates(t.cert(), p + ".cert");
    boolean keyOk = t.key() != null && pemKey(t.key(), p + ".key");
    if (certOk && keyOk) pair(t.cert(), t.key(), p + ".key");
  }

  /** True when the file holds PEM certificates; else reports why at {@code p}. */
  private boolean pemCertificates(String file, String p) {
    return pemReadable(file, p, Pem::certificates);
  }

  /** True when the file holds a readable private key; else reports why at {@code p}. */
  private boolean pemKey(String file, String p) {
    return pemReadable(file, p, Pem::privateKey);
  }

  private interface PemRead {
    Object read(java.nio.file.Path file) throws java.io.IOException;
  }

  private boolean pemReadable(String file, String p, PemRead read) {
    if (file == null || failed.contains(p)) return false;
    try {
      read.read(java.nio.file.Path.of(file));
      return true;
    } catch (IllegalArgumentException e) {
      error(p, e.getMessage());
    } catch (java.io.IOException e) {
      error(p, "cannot read " + file + ": " + e);
    }
    return false;
  }

  private void pair(String cert, String key, String p) {
    try {
      Pem.pair(java.nio.file.Path.of(cert), java.nio.file.Path.of(key));
    } catch (IllegalArgumentException | java.io.IOException e) {
      error(p, e.getMessage());
    }
  }

  /** How to set a token, for the error messages: nothing reads the environment unless the config says so. */
  static String tokenHint(String field, String env) {
    return "set " + field + ", or write " + field.substring(field.lastIndexOf('.') + 1) + ": \"${" + env + "}\" to take it from the environment variable " + env;
  }

  private void admin(AdminConfig a) {
    HostPort hp = hostPort(a.listen(), "admin.listen");
    boolean remote = hp != null && !hp.loopback();
    if (remote && nz(a.token()).length() < MIN_ADMIN_TOKEN) {
      error("admin.token", "the admin listener " + hp + " is not on a loopback address, so a token of at least "
          + MIN_ADMIN_TOKEN + " characters is required (" + tokenHint("admin.token", "BULWARK_ADMIN_TOKEN") + ")");
    }
    String read = nz(a.readToken());
    if (!read.isEmpty()) {
      if (remote && read.length() < MIN_ADMIN_TOKEN) {
        error("admin.readToken", "the admin listener " + hp + " is not on a loopback address, so readToken needs at least "
            + MIN_ADMIN_TOKEN + " characters (" + tokenHint("admin.readToken", "BULWARK_ADMIN_READ_TOKEN") + ")");
      }
      check(!read.equals(a.token()), "admin.readToken", "must differ from admin.token (a read-only token that equals the full one grants everything)");
      check(bearerSafe(read), "admin.readToken", "must be printable ASCII without spaces (it is sent as a bearer token)");
    }
    if (!nz(a.token()).isEmpty()) check(bearerSafe(a.token()), "admin.token", "must be printable ASCII without spaces (it is sent as a bearer token)");
    for (int i = 0; i < a.allowedHosts().size(); i++) {
      String h = nz(a.allowedHosts().get(i));
      boolean ip = h.startsWith("[") && h.endsWith("]") ? io.netty.util.NetUtil.isValidIpV6Address(h.substring(1, h.length() - 1))
          : io.netty.util.NetUtil.isValidIpV4Address(h) || io.netty.util.NetUtil.isValidIpV6Address(h);
      check(ip || (HOST.matcher(h).matches() && !h.startsWith("*.")), "admin.allowedHosts[" + i + "]",
          "'" + h + "' is not a host name or address (no port, no wildcard)");
    }
  }

  /** A bearer token as it can be sent in an Authorization header: visible ASCII, no spaces. */
  private static boolean bearerSafe(String t) {
    return t.chars().allMatch(c -> c > 0x20 && c < 0x7f);
  }

  private void upstream(String p, UpstreamConfig u) {
    if (u.targets().isEmpty()) error(p + ".targets", "at least one target is required");
    for (int i = 0; i < u.targets().size(); i++) {
      TargetConfig t = u.targets().get(i);
      String tp = p + ".targets[" + i + "]";
      check(t.weight() >= 1 && t.weight() <= 1000, tp + ".weight", "must be between 1 and 1000");
      if (t.url() == null) continue;
      try {
        URI uri = new URI(t.url());
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
          error(tp + ".url", "'" + t.url() + "' must start with http:// or https://");
        } else if (uri.getHost() == null) {
          error(tp + ".url", "'" + t.url() + "' has no host");
        } else if (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/")) {
          error(tp + ".url", "'" + t.url() + "' must not have a path (use a route rewrite)");
        } else if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getUserInfo() != null) {
          error(tp + ".url", "'" + t.url() + "' must not have a query, fragment or user info");
        }
      } catch (Exception e) {
        error(tp + ".url", "'" + t.url() + "' is not a URL");
      }
    }
    if (u.balancer() != null && !BALANCERS.contains(u.balancer())) {
      error(p + ".balancer", "unknown balancer '" + u.balancer() + "'" + Suggest.didYouMean(u.balancer(), List.of("round_robin", "least_request", "consistent_hash", "random")));
    }
    if (u.hashOn() != null) {
      String h = u.hashOn();
      boolean hashOk = h.equals("client_ip") || h.equals("path")
          || ((h.startsWith("header:") || h.startsWith("cookie:")) && TOKEN.matcher(h.substring(h.indexOf(':') + 1)).matches());
      if (!hashOk) {
        error(p + ".hashOn", "'" + h + "' must be client_ip, path, header:NAME or cookie:NAME");
      } else if (BALANCERS.contains(u.balancer()) && !"consistent_hash".equals(u.balancer())) {
        // an unknown balancer already has its own error
        error(p + ".hashOn", "is only used by balancer consistent_hash, and this upstream's balancer is " + u.balancer()
            + ": set balancer: consistent_hash or remove hashOn");
      }
    }
    check(u.maxConnectionsPerTarget() >= 1, p + ".maxConnectionsPerTarget", "must be at least 1");
    check(u.maxTunnelsPerTarget() >= 1, p + ".maxTunnelsPerTarget", "must be at least 1");
    if (u.timeouts() != null) {
      positive(u.timeouts().connect(), p + ".timeouts.connect");
      positive(u.timeouts().response(), p + ".timeouts.response");
      positive(u.timeouts().idle(), p + ".timeouts.idle");
    }
    if (u.healthCheck() != null) health(p + ".healthCheck", u.healthCheck());
    if (u.circuitBreaker() != null) breaker(p + ".circuitBreaker", u.circuitBreaker());
    if (u.retry() != null) retry(p + ".retry", u.retry());
    if (u.overload() != null) overload(p + ".overload", u.overload());
    if (u.tls() != null) upstreamTls(p + ".tls", u.tls(), u);
  }

  private void health(String p, HealthCheckConfig h) {
    ActiveCheckConfig a = h.active();
    if (a != null) {
      String ap = p + ".active";
      names(HealthCheckType.class, a.type(), ap + ".type");
      check(a.path() != null && a.path().startsWith("/"), ap + ".path", "'" + a.path() + "' must start with /");
      for (int i = 0; i < a.statuses().size(); i++) {
        int s = a.statuses().get(i);
        check(s >= 100 && s <= 599, ap + ".statuses[" + i + "]", s + " is not an HTTP status");
      }
      positive(a.interval(), ap + ".interval");
      positive(a.timeout(), ap + ".timeout");
      check(a.healthyThreshold() >= 1, ap + ".healthyThreshold", "must be at least 1");
      check(a.unhealthyThreshold() >= 1, ap + ".unhealthyThreshold", "must be at least 1");
      if (a.timeout() != null && a.interval() != null && a.timeout().compareTo(a.interval()) > 0) {
        error(ap + ".timeout", "must not be longer than interval (" + Durations.format(a.interval()) + ")");
      }
    }
    PassiveCheckConfig pc = h.passive();
    if (pc != null) {
      check(pc.consecutiveFailures() >= 1, p + ".passive.consecutiveFailures", "must be at least 1");
      positive(pc.ejectFor(), p + ".passive.ejectFor");
    }
    if (h.score() != null) {
      ScoreWeights w = h.score().weights();
      if (w != null) {
        check(w.network() >= 0, p + ".score.weights.network", "must not be negative");
        check(w.health() >= 0, p + ".score.weights.health", "must not be negative");
        check(w.resources() >= 0, p + ".score.weights.resources", "must not be negative");
        check(w.dependencies() >= 0, p + ".score.weights.dependencies", "must not be negative");
        check(w.network() + w.health() + w.resources() + w.dependencies() > 0, p + ".score.weights", "at least one weight must be above 0");
      }
      check(h.score().floor() >= 0 && h.score().floor() <= 100, p + ".score.floor", "must be between 0 and 100");
    }
  }

  private void breaker(String p, CircuitBreakerConfig b) {
    check(b.failureRateThreshold() == null || b.failureRateThreshold().value() > 0, p + ".failureRateThreshold", "must be above 0%");
    check(b.slowCallRateThreshold() == null || b.slowCallRateThreshold().value() > 0, p + ".slowCallRateThreshold", "must be above 0%");
    positive(b.slowCallThreshold(), p + ".slowCallThreshold");
    names(WindowType.class, b.windowType(), p + ".windowType");
    check(b.window() >= 1, p + ".window", "must be at least 1");
    check(b.minimumCalls() >= 1, p + ".minimumCalls", "must be at least 1");
    positive(b.openFor(), p + ".openFor");
    check(b.halfOpenCalls() >= 1, p + ".halfOpenCalls", "must be at least 1");
    positive(b.maxHalfOpenWait(), p + ".maxHalfOpenWait");
    names(BreakerScope.class, b.scope(), p + ".scope");
  }

  private void retry(String p, RetryConfig r) {
    check(r.attempts() >= 1 && r.attempts() <= 10, p + ".attempts", "must be between 1 and 10");
    for (int i = 0; i < r.on().size(); i++) {
      String c = r.on().get(i);
      boolean status = c.matches("[1-5]\\d\\d");
      if (!status && Names.check(RetryCondition.class, c) != null) {
        error(p + ".on[" + i + "]", "'" + c + "' must be connect_failure, reset, timeout or an HTTP status" + Suggest.didYouMean(c, Names.of(RetryCondition.class)));
      }
    }
    positive(r.backoff(), p + ".backoff");
    positive(r.maxBackoff(), p + ".maxBackoff");
    positive(r.perTryTimeout(), p + ".perTryTimeout");
    check(r.minRetriesPerSecond() >= 0, p + ".minRetriesPerSecond", "must not be negative");
  }

  private void overload(String p, OverloadConfig o) {
    check(o.maxInFlight() >= 0, p + ".maxInFlight", "must not be negative");
    check(o.maxPending() >= 0, p + ".maxPending", "must not be negative");
    AdaptiveConcurrencyConfig a = o.adaptive();
    if (a == null) return;
    String ap = p + ".adaptive";
    names(AdaptiveAlgorithm.class, a.algorithm(), ap + ".algorithm");
    check(a.minLimit() >= 1, ap + ".minLimit", "must be at least 1");
    check(a.maxLimit() >= a.minLimit(), ap + ".maxLimit", "must be at least minLimit");
    check(a.initialLimit() >= a.minLimit() && a.initialLimit() <= a.maxLimit(), ap + ".initialLimit", "must be between minLimit and maxLimit");
    positive(a.latencyThreshold(), ap + ".latencyThreshold");
  }

  private void rateLimit(String p, RateLimitConfig r, boolean haveCluster) {
    try {
      RateLimitKeySpec.parse(nz(r.key()));
    } catch (IllegalArgumentException e) {
      error(p + ".key", e.getMessage());
    }
    check(r.burst() >= 0, p + ".burst", "must not be negative");
    named(p + ".scope");
    named(p + ".onRedisFailure");
    if (r.scope() == RateLimitScope.CLUSTER && !haveCluster) error(p + ".scope", "scope cluster needs the top-level cluster section (cluster.redis)");
    check(r.maxKeys() >= 1, p + ".maxKeys", "must be at least 1");
  }

  private void cluster(ClusterConfig c) {
    if (c.redis() != null) {
      try {
        URI u = new URI(c.redis());
        check(("redis".equals(u.getScheme()) || "rediss".equals(u.getScheme())) && u.getHost() != null, "cluster.redis", "'" + c.redis() + "' must look like redis://host:port");
      } catch (Exception e) {
        error("cluster.redis", "'" + c.redis() + "' is not a URI");
      }
    }
    positive(c.timeout(), "cluster.timeout");
  }

  private void middleware(String p, MiddlewareConfig m, boolean haveCluster) {
    int types = (m.headers() != null ? 1 : 0) + (m.rateLimit() != null ? 1 : 0);
    types += (m.jwt() != null ? 1 : 0) + (m.introspection() != null ? 1 : 0) + (m.apiKey() != null ? 1 : 0) + (m.basicAuth() != null ? 1 : 0) + (m.cors() != null ? 1 : 0) + (m.ipRules() != null ? 1 : 0);
    if (types == 0 && errors.stream().noneMatch(e -> e.path().startsWith(p + "."))) {
      error(p, "a middleware needs exactly one type key (known: " + String.join(", ", MIDDLEWARE_TYPES) + ")");
    }
    if (types > 1) error(p, "a middleware needs exactly one type key, this one has " + types);
    if (m.rateLimit() != null) rateLimit(p + ".rateLimit", m.rateLimit(), haveCluster);
    if (m.apiKey() != null) AccessChecks.apiKey(p + ".apiKey", m.apiKey(), this::error);
    if (m.basicAuth() != null) AccessChecks.basicAuth(p + ".basicAuth", m.basicAuth(), this::error);
    if (m.cors() != null) AccessChecks.cors(p + ".cors", m.cors(), this::error);
    if (m.ipRules() != null) AccessChecks.ipRules(p + ".ipRules", m.ipRules(), this::error);
    if (m.jwt() != null) jwt(p + ".jwt", m.jwt());
    if (m.introspection() != null) introspection(p + ".introspection", m.introspection());
    if (m.headers() != null) {
      ops(m.headers().request(), p + ".headers.request");
      ops(m.headers().response(), p + ".headers.response");
    }
  }

  static final Set<String> JWT_ALGORITHMS = Set.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
      "ES256", "ES384", "ES512", "HS256", "HS384", "HS512");

  private void jwt(String p, JwtConfig j) {
    int sources = (j.jwksUrl() != null ? 1 : 0) + (j.keys() != null ? 1 : 0) + (j.keysFile() != null ? 1 : 0);
    check(sources == 1, p, "a jwt middleware needs exactly one of jwksUrl, keys, keysFile");
    if (j.jwksUrl() != null) url(p + ".jwksUrl", j.jwksUrl());
    if (j.keysFile() != null) check(java.nio.file.Files.isReadable(java.nio.file.Path.of(j.keysFile())), p + ".keysFile", "cannot read '" + j.keysFile() + "'");
    check(!j.algorithms().isEmpty() || failed.contains(p + ".algorithms"), p + ".algorithms", "at least one algorithm is required");
    for (int i = 0; i < j.algorithms().size(); i++) {
      String a = j.algorithms().get(i);
      if (!JWT_ALGORITHMS.contains(a)) {
        error(p + ".algorithms[" + i + "]", "none".equalsIgnoreCase(a) ? "'" + a + "' (unsigned tokens) is never accepted"
            : "unknown algorithm '" + a + "'" + Suggest.didYouMean(a, JWT_ALGORITHMS));
      }
    }
    if (j.clockSkew() != null) check(!j.clockSkew().isNegative() && j.clockSkew().compareTo(java.time.Duration.ofMinutes(10)) <= 0, p + ".clockSkew", "must be between 0s and 10m");
    positive(j.jwksRefresh(), p + ".jwksRefresh");
    positive(j.jwksMinRefresh(), p + ".jwksMinRefresh");
    positive(j.jwksMaxStale(), p + ".jwksMaxStale");
    positive(j.jwksTimeout(), p + ".jwksTimeout");
    access(p, j.token(), j.allow(), j.clientRule(), j.forwardClaims());
  }

  private void introspection(String p, IntrospectionConfig c) {
    if (c.endpoint() != null) url(p + ".endpoint", c.endpoint());
    check((c.clientId() == null) == (c.clientSecret() == null), p + ".clientSecret", "clientId and clientSecret are set together");
    positive(c.cacheTtl(), p + ".cacheTtl");
    check(c.inactiveCacheTtl() == null || !c.inactiveCacheTtl().isNegative(), p + ".inactiveCacheTtl", "must not be negative");
    positive(c.timeout(), p + ".timeout");
    check(c.maxCacheEntries() >= 1, p + ".maxCacheEntries", "must be at least 1");
    named(p + ".onFailure");
    access(p, c.token(), c.allow(), c.clientRule(), c.forwardClaims());
  }

  /** The fields the jwt and introspection middlewares share. */
  private void access(String p, String token, List<String> allow, String clientRule, Map<String, String> forward) {
    String t = nz(token);
    boolean tokenOk = t.equals("header") || ((t.startsWith("cookie:") || t.startsWith("query:")) && TOKEN.matcher(t.substring(t.indexOf(':') + 1)).matches());
    check(tokenOk, p + ".token", "'" + t + "' must be header, cookie:NAME or query:NAME");
    check(!allow.isEmpty() || failed.contains(p + ".allow"), p + ".allow", "must name user, client or both");
    for (int i = 0; i < allow.size(); i++) {
      check(allow.get(i).equals("user") || allow.get(i).equals("client"), p + ".allow[" + i + "]", "'" + allow.get(i) + "' must be user or client");
    }
    String r = nz(clientRule);
    boolean ruleOk = r.equals("auto") || (r.startsWith("claim:") && r.indexOf('=') > 6 && r.indexOf('=') < r.length() - 1);
    check(ruleOk, p + ".clientRule", "'" + r + "' must be auto or claim:NAME=VALUE");
    forward.forEach((claim, header) -> check(TOKEN.matcher(header).matches(), p + ".forwardClaims." + claim, "'" + header + "' is not a valid header name"));
  }

  private void tracing(String p, TracingConfig t) {
    url(p + ".endpoint", nz(t.endpoint()));
    named(p + ".protocol");
    check(t.sampleRatio() == null || (t.sampleRatio().value() >= 0 && t.sampleRatio().value() <= 100), p + ".sampleRatio", "must be 0% to 100%");
    check(!nz(t.serviceName()).isBlank(), p + ".serviceName", "must not be empty");
    t.headers().forEach((name, value) -> {
      check(TOKEN.matcher(name).matches(), p + ".headers." + name, "'" + name + "' is not a valid header name");
      check(value != null && value.indexOf('\r') < 0 && value.indexOf('\n') < 0, p + ".headers." + name, "the value must be one line");
    });
    positive(t.exportTimeout(), p + ".exportTimeout");
    positive(t.scheduleDelay(), p + ".scheduleDelay");
    check(t.maxQueueSize() >= 1, p + ".maxQueueSize", "must be at least 1");
    check(t.maxExportBatchSize() >= 1 && t.maxExportBatchSize() <= t.maxQueueSize(), p + ".maxExportBatchSize", "must be 1 to maxQueueSize (" + t.maxQueueSize() + ")");
  }

  private void url(String p, String v) {
    try {
      URI u = new URI(v);
      check(("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null, p, "'" + v + "' must be an http:// or https:// URL");
    } catch (Exception e) {
      error(p, "'" + v + "' is not a URL");
    }
  }

  private void ops(HeaderOps ops, String p) {
    if (ops == null) return;
    ops.set().keySet().forEach(k -> check(TOKEN.matcher(k).matches(), p + ".set." + k, "not a valid header name"));
    ops.add().keySet().forEach(k -> check(TOKEN.matcher(k).matches(), p + ".add." + k, "not a valid header name"));
    for (int i = 0; i < ops.remove().size(); i++) check(TOKEN.matcher(ops.remove().get(i)).matches(), p + ".remove[" + i + "]", "not a valid header name");
  }

  private void group(GroupConfig g, String p, Map<String, MiddlewareConfig> known) {
    if (g.prefix() != null) {
      if (!g.prefix().startsWith("/")) {
        error(p + ".prefix", "'" + g.prefix() + "' must start with /");
      } else if (g.prefix().contains("*")) {
        error(p + ".prefix", "'" + g.prefix() + "' must not contain wildcards");
      }
    }
    if (g.routes().isEmpty() && g.groups().isEmpty()) error(p, "a group needs routes or groups");
    for (int i = 0; i < g.middlewares().size(); i++) {
      String m = g.middlewares().get(i);
      if (!known.containsKey(m)) error(p + ".middlewares[" + i + "]", "unknown middleware '" + m + "'" + Suggest.didYouMean(m, known.keySet()));
    }
    for (int i = 0; i < g.groups().size(); i++) group(g.groups().get(i), p + ".groups[" + i + "]", known);
  }

  private void routes(BulwarkConfig c) {
    Map<String, String> names = new HashMap<>();
    for (FlatRoute fr : FlatRoute.flatten(c)) {
      RouteConfig r = fr.route();
      String p = fr.path();
      if (r.name() != null) {
        String first = names.putIfAbsent(r.name(), p);
        if (first != null) error(p + ".name", "duplicate route name '" + r.name() + "' (first used at " + first + ")");
      }
      if (r.upstream() != null && !c.upstreams().containsKey(r.upstream())) {
        error(p + ".upstream", "unknown upstream '" + r.upstream() + "'" + Suggest.didYouMean(r.upstream(), c.upstreams().keySet()));
      }
      for (int i = 0; i < r.middlewares().size(); i++) {
        String m = r.middlewares().get(i);
        if (!c.middlewares().containsKey(m)) {
          error(p + ".middlewares[" + i + "]", "unknown middleware '" + m + "'" + Suggest.didYouMean(m, c.middlewares().keySet()));
        }
      }
      if (r.version() != null) {
        if (c.versioning() == null) error(p + ".version", "a route version needs the top-level versioning section");
        check(VERSION.matcher(r.version()).matches(), p + ".version", "'" + r.version() + "' is not a valid version");
      }
      if (r.timeout() != null) positive(r.timeout(), p + ".timeout");
      if (r.fallback() != null) fallback(p + ".fallback", r.fallback(), c.upstreams().keySet(), r.upstream());
      if (r.retryNonIdempotent() && r.upstream() != null && c.upstreams().get(r.upstream()) != null && c.upstreams().get(r.upstream()).retry() == null) {
        error(p + ".retryNonIdempotent", "upstream '" + r.upstream() + "' has no retry section, so nothing would be retried");
      }
      if (r.match() == null) continue;
      MatchConfig m = r.match();
      PathSyntax.Parsed pattern = null;
      if (fr.pattern() != null) {
        try {
          pattern = PathSyntax.parse(fr.pattern());
        } catch (IllegalArgumentException e) {
          error(p + ".match.path", e.getMessage());
        }
      }
      for (int i = 0; i < m.methods().size(); i++) {
        check(METHOD.matcher(m.methods().get(i)).matches(), p + ".match.methods[" + i + "]", "'" + m.methods().get(i) + "' is not an upper-case HTTP method");
      }
      if (m.host() != null) check(HOST.matcher(m.host()).matches(), p + ".match.host", "'" + m.host() + "' is not a host name or *.domain");
      predicates(m.headers(), p + ".match.headers", true);
      predicates(m.query(), p + ".match.query", false);
      if (r.rewrite() != null) {
        if (!r.rewrite().startsWith("/")) {
          error(p + ".rewrite", "'" + r.rewrite() + "' must start with /");
        } else if (pattern != null) {
          try {
            for (String ph : PathSyntax.placeholders(r.rewrite())) {
              if (!pattern.paramNames().contains(ph)) {
                error(p + ".rewrite", "placeholder {" + ph + "} is not a parameter of match.path" + Suggest.didYouMean(ph, pattern.paramNames()));
              }
            }
          } catch (IllegalArgumentException e) {
            error(p + ".rewrite", e.getMessage());
          }
        }
      }
    }
  }

  private void remediation(BulwarkConfig c) {
    Set<String> routeNames = new HashSet<>();
    Map<String, RouteConfig> routes = new HashMap<>();
    for (FlatRoute fr : FlatRoute.flatten(c)) {
      if (fr.route().name() != null) routes.putIfAbsent(fr.route().name(), fr.route());
    }
    routeNames.addAll(routes.keySet());
    List<RemediationRuleConfig> rules = c.remediation().rules();
    String hook = nz(c.remediation().webhookToken());
    if (!rules.isEmpty() && hook.length() < MIN_ADMIN_TOKEN) {
      error("remediation.webhookToken", (hook.isEmpty() ? "required" : "too short") + " when remediation rules exist: POST /alerts acts on the gateway, so it takes a bearer token of at least "
          + MIN_ADMIN_TOKEN + " characters (" + tokenHint("remediation.webhookToken", "BULWARK_WEBHOOK_TOKEN")
          + "; Alertmanager sends it with http_config.authorization.credentials)");
    }
    if (!hook.isEmpty()) {
      check(bearerSafe(hook), "remediation.webhookToken", "must be printable ASCII without spaces (it is sent as a bearer token)");
      check(c.admin() == null || !hook.equals(c.admin().token()), "remediation.webhookToken", "must differ from admin.token");
      check(c.admin() == null || !hook.equals(c.admin().readToken()), "remediation.webhookToken", "must differ from admin.readToken");
    }
    for (int i = 0; i < rules.size(); i++) {
      RemediationRuleConfig r = rules.get(i);
      String p = "remediation.rules[" + i + "]";
      check(r.alert() == null || !r.alert().isBlank(), p + ".alert", "must not be empty");
      RemediationAction a = r.action();
      if (a == null) {
        named(p + ".action");
        continue;
      }
      if (r.expireAfter() != null) {
        positive(r.expireAfter(), p + ".expireAfter");
        check(r.expireAfter().compareTo(RemediationRuleConfig.MAX_EXPIRY) <= 0, p + ".expireAfter", "must be at most 24h");
      }
      Map<String, String> given = new java.util.LinkedHashMap<>();
      given.put("upstream", r.upstream());
      given.put("target", r.target());
      given.put("route", r.route());
      given.put("middleware", r.middleware());
      List<String> needed = a.fields();
      given.forEach((f, v) -> {
        if (v == null) return;
        if (!needed.contains(f)) error(p + "." + f, "action " + a.configName() + " does not use " + f + " (it uses " + String.join(", ", needed) + ")");
        else if (RemediationRuleConfig.badTemplate(v)) error(p + "." + f, "'" + v + "' is neither a name nor {{ labels.NAME }}");
      });
      String up = fixed(r.upstream());
      if (up != null && needed.contains("upstream")) {
        UpstreamConfig u = c.upstreams().get(up);
        if (u == null) {
          error(p + ".upstream", "unknown upstream '" + up + "'" + Suggest.didYouMean(up, c.upstreams().keySet()));
        } else {
          if (a == RemediationAction.OPEN_BREAKER) check(u.circuitBreaker() != null, p + ".upstream", "upstream '" + up + "' has no circuitBreaker to open");
          String t = fixed(r.target());
          if (t != null && a == RemediationAction.EJECT_TARGET && TargetConfig.find(u, t) == null) {
            error(p + ".target", "upstream '" + up + "' has no target '" + t + "' (use host:port or the target's url)");
          }
        }
      }
      String route = fixed(r.route());
      if (route != null && a == RemediationAction.USE_FALLBACK) {
        RouteConfig rc = routes.get(route);
        if (rc == null) error(p + ".route", "unknown route '" + route + "'" + Suggest.didYouMean(route, routeNames));
        else check(rc.fallback() != null, p + ".route", "route '" + route + "' has no fallback to use");
      }
      String mw = fixed(r.middleware());
      if (mw != null && a == RemediationAction.TIGHTEN_RATE_LIMIT) {
        MiddlewareConfig m = c.middlewares().get(mw);
        if (m == null) error(p + ".middleware", "unknown middleware '" + mw + "'" + Suggest.didYouMean(mw, c.middlewares().keySet()));
        else check(m.rateLimit() != null, p + ".middleware", "middleware '" + mw + "' is not a rateLimit");
      }
      if (a == RemediationAction.TIGHTEN_RATE_LIMIT) {
        if (r.factor() == null) error(p + ".factor", "tightenRateLimit needs a factor, e.g. 10%");
        else check(r.factor().value() > 0 && r.factor().value() < 100, p + ".factor", "must be above 0% and below 100%");
      } else {
        check(r.factor() == null, p + ".factor", "only tightenRateLimit takes a factor");
      }
    }
  }

  /** A remediation object field that names the object itself (not null, not a label template). */
  private static String fixed(String v) {
    return v == null || v.contains("{{") ? null : v;
  }

  private void fallback(String p, FallbackConfig f, Set<String> upstreams, String own) {
    if (f.upstream() != null) {
      if (!upstreams.contains(f.upstream())) error(p + ".upstream", "unknown upstream '" + f.upstream() + "'" + Suggest.didYouMean(f.upstream(), upstreams));
      else check(!f.upstream().equals(own), p + ".upstream", "the fallback must be another upstream than the route's own");
      check(f.body() == null && f.headers().isEmpty(), p, "a fallback is either an upstream or a static response (status, headers, body), not both");
    }
    check(f.status() >= 100 && f.status() <= 599, p + ".status", f.status() + " is not an HTTP status");
    f.headers().keySet().forEach(k -> check(TOKEN.matcher(k).matches(), p + ".headers." + k, "not a valid header name"));
  }

  private void predicates(Map<String, String> m, String p, boolean header) {
    m.forEach((k, v) -> {
      if (header) check(TOKEN.matcher(k).matches(), p + "." + k, "not a valid header name");
      if (v.startsWith("regex:")) {
        try {
          Pattern.compile(v.substring(6));
        } catch (PatternSyntaxException e) {
          error(p + "." + k, "bad regex: " + e.getDescription());
        }
      }
    });
  }

  private HostPort hostPort(String v, String p) {
    if (v == null) return null; // failed to bind, already reported
    try {
      return HostPort.parse(v);
    } catch (IllegalArgumentException e) {
      error(p, e.getMessage());
      return null;
    }
  }

  private void positive(java.time.Duration d, String p) {
    if (d != null && (d.isZero() || d.isNegative())) error(p, "must be above 0");
  }

  /** Reports the value at {@code path} if the binder found it to be none of its enum's names. */
  private void named(String path) {
    String message = unknownNames.remove(path);
    if (message != null) errors.add(new ConfigError(path, message));
  }

  /** A string field whose allowed names an enum holds. */
  private void names(Class<? extends ConfigName> type, String value, String path) {
    String problem = Names.check(type, value);
    if (problem != null) error(path, problem);
  }

  private void check(boolean ok, String path, String message) {
    if (!ok) error(path, message);
  }

  private void error(String path, String message) {
    if (!failed.contains(path)) errors.add(new ConfigError(path, message));
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
