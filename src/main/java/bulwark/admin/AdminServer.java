package bulwark.admin;

import bulwark.config.AdminConfig;
import bulwark.config.ByteSize;
import bulwark.config.HealthCheckConfig;
import bulwark.config.HostPort;
import bulwark.filter.ratelimit.RedisLink;
import bulwark.observe.metrics.GatewayMetrics;
import bulwark.proxy.Problem;
import bulwark.proxy.RequestIds;
import bulwark.remediation.Alert;
import bulwark.routing.Route;
import bulwark.transport.TlsHandshakes;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.health.UpstreamHealth;
import bulwark.upstream.target.Target;
import bulwark.upstream.target.TargetHealth;
import io.netty.util.NetUtil;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.HostAndPort;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The admin listener: its own port, loopback by default, never served on the data port. Read-only,
 * but for POST /alerts: Alertmanager notifications that turn remediation actions on and off (see
 * docs/observability-remediation.md), which take their own credential, remediation.webhookToken,
 * and nothing else. Reads take admin.token or admin.readToken when either is set; with neither,
 * only requests whose Host is a loopback name or address, or one in admin.allowedHosts, are
 * answered (a web page that rebinds its own name to 127.0.0.1 sends its own name as Host). Nothing
 * it receives is ever evaluated as code.
 */
public final class AdminServer {
  /** The largest Alertmanager notification POST /alerts reads. */
  static final int MAX_ALERTS_BODY = 1 << 20;

  private final Vertx vertx;
  private final GatewayView gateway;
  private final AdminConfig config;

  /** "Bearer " + admin.token, or null. */
  private final byte[] token;

  /** "Bearer " + admin.readToken, or null. */
  private final byte[] readToken;

  /** admin.allowedHosts, lower case, without a trailing dot. */
  private final Set<String> allowedHosts;

  private HttpServer server;

  public AdminServer(Vertx vertx, GatewayView gateway, AdminConfig config) {
    this.vertx = vertx;
    this.gateway = gateway;
    this.config = config;
    this.token = bearer(config.token());
    this.readToken = bearer(config.readToken());
    Set<String> hosts = new HashSet<>();
    for (String h : config.allowedHosts() == null ? List.<String>of() : config.allowedHosts())
      hosts.add(hostName(h));
    this.allowedHosts = Set.copyOf(hosts);
  }

  private static byte[] bearer(String secret) {
    return secret == null || secret.isEmpty()
        ? null
        : ("Bearer " + secret).getBytes(StandardCharsets.UTF_8);
  }

  public Future<HttpServer> start() {
    HostPort hp = HostPort.parse(config.listen());
    server =
        vertx
            .createHttpServer(new HttpServerOptions().setHost(hp.host()).setPort(hp.port()))
            .requestHandler(this::handle);
    return server.listen();
  }

  public Future<Void> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  private void handle(HttpServerRequest req) {
    String rid = RequestIds.next();
    String peer = req.remoteAddress() == null ? "unknown" : req.remoteAddress().hostAddress();
    req.response()
        .endHandler(
            v ->
                gateway
                    .telemetry()
                    .adminCall(
                        req.method().name(), req.path(), req.response().getStatusCode(), peer));
    if (req.path().equals("/alerts")) {
      // the one endpoint that acts: its own credential, whatever the admin tokens are
      if (!req.method().name().equals("POST")) {
        req.response().putHeader("Allow", "POST");
        Problem.send(
            req.response(),
            405,
            "Method Not Allowed",
            "/alerts takes Alertmanager webhook notifications by POST",
            rid,
            req.path());
        return;
      }
      var rc = gateway.config().remediation();
      byte[] hook = bearer(rc == null ? null : rc.webhookToken());
      if (hook == null || !MessageDigest.isEqual(given(req), hook)) {
        req.response().putHeader("WWW-Authenticate", "Bearer realm=\"bulwark-alerts\"");
        Problem.send(
            req.response(),
            401,
            "Unauthorized",
            hook == null
                ? "POST /alerts is off: remediation.webhookToken is not set"
                : "POST /alerts needs the bearer token remediation.webhookToken",
            rid,
            req.path());
        return;
      }
      alerts(req, rid);
      return;
    }
    if (token != null || readToken != null) {
      byte[] given = given(req);
      // both compared, in constant time each, whichever matches
      boolean full = token != null && MessageDigest.isEqual(given, token);
      boolean read = readToken != null && MessageDigest.isEqual(given, readToken);
      if (!full & !read) {
        req.response().putHeader("WWW-Authenticate", "Bearer realm=\"bulwark-admin\"");
        Problem.send(
            req.response(),
            401,
            "Unauthorized",
            "the admin API needs a valid bearer token",
            rid,
            req.path());
        return;
      }
    } else if (!hostAllowed(req)) {
      // no token: only a loopback listener (the validator sees to that), and only requests for a
      // loopback name, so that a page whose name was rebound to 127.0.0.1 reads nothing
      Problem.send(
          req.response(),
          421,
          "Misdirected Request",
          "without an admin token, the admin API answers only requests whose Host is "
              + "localhost, a loopback address or a name in admin.allowedHosts",
          rid,
          req.path());
      return;
    }
    if (req.method().name().equals("GET") || req.method().name().equals("HEAD")) {
      switch (req.path()) {
        case "/health/live" -> json(req, 200, new JsonObject().put("status", "UP"));
        case "/health/ready" -> ready(req);
        case "/routes" -> json(req, 200, routes());
        case "/upstreams" -> json(req, 200, upstreams());
        case "/remediations" ->
            json(req, 200, new JsonObject().put("active", gateway.remediation().list()));
        case "/metrics" -> metrics(req, rid);
        default ->
            Problem.send(
                req.response(),
                404,
                "Not Found",
                "no admin endpoint " + req.path(),
                rid,
                req.path());
      }
      return;
    }
    req.response().putHeader("Allow", "GET, HEAD");
    Problem.send(
        req.response(),
        405,
        "Method Not Allowed",
        "the admin API is read-only (except POST /alerts, with remediation.webhookToken)",
        rid,
        req.path());
  }

  private static byte[] given(HttpServerRequest req) {
    String auth = req.getHeader("Authorization");
    return auth == null ? new byte[0] : auth.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Whether the request names a loopback host (localhost, 127.0.0.0/8, [::1]) or one of
   * admin.allowedHosts: both the Host header and the authority (an absolute-form target's) must,
   * and a request with neither is refused.
   */
  private boolean hostAllowed(HttpServerRequest req) {
    List<String> hosts = req.headers().getAll("Host");
    HostAndPort authority = req.authority();
    if (hosts.isEmpty() && authority == null) return false;
    for (String h : hosts) if (!hostAllowed(withoutPort(h))) return false;
    String uri = req.uri();
    int scheme = uri.indexOf("://");
    if (scheme > 0 && !uri.startsWith("/")) {
      // absolute form: its authority is the host asked for, whatever Host says
      int end = uri.indexOf('/', scheme + 3);
      String auth = uri.substring(scheme + 3, end < 0 ? uri.length() : end);
      if (!hostAllowed(withoutPort(auth.substring(auth.lastIndexOf('@') + 1)))) return false;
    }
    return authority == null || hostAllowed(authority.host());
  }

  boolean hostAllowed(String host) {
    String h = hostName(host);
    return loopback(h) || allowedHosts.contains(h);
  }

  /** Lower case, brackets and one trailing dot removed. */
  static String hostName(String host) {
    String h = host.trim().toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
    if (h.endsWith(".")) h = h.substring(0, h.length() - 1);
    return h;
  }

  /** localhost, an IPv4 literal in 127.0.0.0/8, or ::1 (already through {@link #hostName}). */
  static boolean loopback(String h) {
    if (h.equals("localhost") || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1")) return true;
    return h.startsWith("127.") && NetUtil.isValidIpV4Address(h);
  }

  /** A Host header's host part: "[::1]:9901" -> "[::1]", "localhost:9901" -> "localhost". */
  static String withoutPort(String hostHeader) {
    String h = hostHeader.trim();
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      return end < 0 ? h : h.substring(0, end + 1);
    }
    int colon = h.indexOf(':');
    return colon < 0 ? h : h.substring(0, colon);
  }

  /**
   * POST /alerts: an Alertmanager webhook notification (JSON, at most {@link #MAX_ALERTS_BODY}
   * bytes) that turns remediation actions on or off; answers what it did.
   */
  private void alerts(HttpServerRequest req, String rid) {
    String ct = req.getHeader("Content-Type");
    if (ct == null || !ct.split(";")[0].trim().equalsIgnoreCase("application/json")) {
      Problem.send(
          req.response(),
          415,
          "Unsupported Media Type",
          "/alerts takes application/json",
          rid,
          req.path());
      return;
    }
    String cl = req.getHeader("Content-Length");
    if (cl != null
        && cl.chars().allMatch(Character::isDigit)
        && (cl.length() > 12 || Long.parseLong(cl) > MAX_ALERTS_BODY)) {
      tooLarge(req, rid);
      return;
    }
    Buffer body = Buffer.buffer();
    boolean[] over = {false};
    req.handler(
        chunk -> {
          if (over[0]) return;
          if (body.length() + chunk.length() > MAX_ALERTS_BODY) {
            over[0] = true;
            tooLarge(req, rid);
          } else {
            body.appendBuffer(chunk);
          }
        });
    req.endHandler(
        v -> {
          if (over[0]) return;
          List<Alert> alerts;
          try {
            Object parsed = Json.decodeValue(body);
            if (!(parsed instanceof JsonObject payload))
              throw new IllegalArgumentException("the body is not a JSON object");
            alerts = Alert.parse(payload);
          } catch (DecodeException e) {
            Problem.send(
                req.response(), 400, "Bad Request", "the body is not valid JSON", rid, req.path());
            return;
          } catch (IllegalArgumentException e) {
            Problem.send(
                req.response(),
                400,
                "Bad Request",
                "not an Alertmanager webhook payload: " + e.getMessage(),
                rid,
                req.path());
            return;
          }
          json(req, 200, gateway.remediation().onAlerts(alerts));
        });
  }

  private static void tooLarge(HttpServerRequest req, String rid) {
    req.response().putHeader("Connection", "close");
    Problem.send(
        req.response(),
        413,
        "Content Too Large",
        "/alerts takes at most " + ByteSize.human(MAX_ALERTS_BODY),
        rid,
        req.path());
  }

  /**
   * The Prometheus exposition (OpenMetrics when the Accept header asks for it), rendered off the
   * event loop.
   */
  private void metrics(HttpServerRequest req, String rid) {
    var m = gateway.metrics();
    var prometheus = gateway.prometheus();
    if (m == null || prometheus == null) {
      Problem.send(
          req.response(),
          404,
          "Not Found",
          "metrics are disabled (observability.metrics.enabled: false)",
          rid,
          req.path());
      return;
    }
    String type = GatewayMetrics.contentType(req.getHeader("Accept"));
    vertx
        .executeBlocking(() -> m.scrape(prometheus, type))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                Problem.send(
                    req.response(),
                    500,
                    "Internal Server Error",
                    "the metrics could not be rendered (request id " + rid + ")",
                    rid,
                    req.path());
                return;
              }
              req.response()
                  .setStatusCode(200)
                  .putHeader("Content-Type", type)
                  .putHeader("Cache-Control", "no-store")
                  .end(ar.result());
            });
  }

  private void ready(HttpServerRequest req) {
    boolean draining = gateway.draining();
    var config = gateway.config();
    var table = gateway.table();
    JsonObject components = new JsonObject();
    components.put(
        "dataListener",
        new JsonObject()
            .put("status", draining ? "OUT_OF_SERVICE" : "UP")
            .put(
                "details",
                new JsonObject()
                    .put("address", config.server().listen())
                    .put("inFlight", gateway.inFlight())
                    .put("transport", gateway.nativeTransport() ? "epoll" : "nio")
                    .put(
                        "tlsHandshakes",
                        new JsonObject()
                            .put("count", TlsHandshakes.count())
                            .put("failed", TlsHandshakes.failed())
                            .put(
                                "averageMillis",
                                Math.round(TlsHandshakes.averageMillis() * 1000) / 1000.0)
                            .put(
                                "maxMillis",
                                Math.round(TlsHandshakes.maxMillis() * 1000) / 1000.0))));
    components.put(
        "config",
        new JsonObject()
            .put("status", "UP")
            .put(
                "details",
                new JsonObject()
                    .put("generation", gateway.generation())
                    .put("routes", table.routes().size())
                    .put("lastReload", String.valueOf(gateway.lastReload()))
                    .put("reloadsSucceeded", gateway.reloadsOk())
                    .put("reloadsFailed", gateway.reloadsFailed())
                    .put("lastReloadError", gateway.lastReloadError())));
    // an upstream without a usable target is DOWN here, but readiness stays UP: the gateway still
    // serves its other upstreams, fallbacks and panic mode; see docs/health.md
    JsonObject ups = new JsonObject();
    boolean allUp = true;
    for (UpstreamRuntime u : table.upstreams().values()) {
      JsonArray ts = new JsonArray();
      for (Target t : u.targets()) {
        TargetHealth h = t.state().health();
        ts.add(
            new JsonObject()
                .put("target", t.key())
                .put("weight", t.weight())
                .put("state", h.status().name())
                .put("score", h.score())
                .put("inFlight", t.state().inFlight())
                .put("available", t.available()));
      }
      int usable = u.health().usable();
      allUp &= usable > 0;
      ups.put(
          u.name(),
          new JsonObject()
              .put("status", usable > 0 ? "UP" : "DOWN")
              .put(
                  "details",
                  new JsonObject()
                      .put("balancer", u.config().balancer())
                      .put("usableTargets", usable)
                      .put("panic", u.health().panic())
                      .put("targets", ts)));
    }
    components.put(
        "upstreams", new JsonObject().put("status", allUp ? "UP" : "DOWN").put("components", ups));
    RedisLink redis = gateway.redis();
    if (redis != null) {
      // shown, but it does not make the gateway unready: every instance shares this Redis, and
      // taking
      // them all out of the load balancer would turn a degraded rate limit into a full outage
      components.put(
          "redis",
          new JsonObject()
              .put("status", redis.up() ? "UP" : "DOWN")
              .put(
                  "details",
                  new JsonObject()
                      .put("address", redis.address())
                      .put("failures", redis.failures())
                      .put("allowedWhileDown", redis.allowedWhileDown())
                      .put("refusedWhileDown", redis.refusedWhileDown())
                      .put(
                          "downSince",
                          redis.downSince() == null ? null : redis.downSince().toString())
                      .put("lastError", redis.lastError())));
    }
    String status = draining ? "OUT_OF_SERVICE" : "UP";
    json(
        req,
        draining ? 503 : 200,
        new JsonObject().put("status", status).put("components", components));
  }

  /** Every upstream with the live state of each target, and its resilience state (breakers...). */
  private JsonObject upstreams() {
    var table = gateway.table();
    JsonObject ups = new JsonObject();
    Instant now = Instant.now();
    for (UpstreamRuntime u : table.upstreams().values()) {
      UpstreamHealth health = u.health();
      HealthCheckConfig hc = health.config();
      JsonArray ts = new JsonArray();
      for (Target t : u.targets()) {
        TargetHealth h = t.state().health();
        long ejectedMs = health.ejectedForMillis(t);
        ts.add(
            new JsonObject()
                .put("target", t.key())
                .put("weight", t.weight())
                .put("state", h.status().name())
                .put("score", h.score())
                .put("drained", h.drained())
                .put("ejected", h.ejected())
                .put("ejectedUntil", h.ejected() ? now.plusMillis(ejectedMs).toString() : null)
                .put("ejections", h.ejections())
                .put("lastCheck", h.lastCheck())
                .put("inFlight", t.state().inFlight())
                .put("available", t.available()));
      }
      int usable = health.usable();
      JsonObject o =
          new JsonObject()
              .put("status", usable > 0 ? "UP" : health.panic() ? "PANIC" : "DOWN")
              .put("balancer", u.config().balancer())
              .put("usableTargets", usable)
              .put(
                  "healthCheck",
                  new JsonObject()
                      .put(
                          "active",
                          hc == null || hc.active() == null || hc.active().type() == null
                              ? null
                              : hc.active().type().configName())
                      .put("passive", hc != null && hc.passive() != null)
                      .put("panic", health.panic()))
              .put("targets", ts);
      u.resilienceInfo().forEach(o::put);
      ups.put(u.name(), o);
    }
    return new JsonObject().put("generation", table.generation()).put("upstreams", ups);
  }

  private JsonObject routes() {
    var table = gateway.table();
    JsonArray arr = new JsonArray();
    for (Route r : table.routes()) {
      JsonObject o =
          new JsonObject()
              .put("name", r.name())
              .put("config", r.configPath())
              .put("path", r.pattern())
              .put("methods", new JsonArray(r.methods().stream().toList()))
              .put("host", r.host() == null ? null : r.host().spec())
              .put("version", r.version())
              .put("upstream", r.upstream().name())
              .put("middlewares", new JsonArray(r.middlewareNames()))
              .put("stripPrefix", r.stripPrefix().isEmpty() ? null : r.stripPrefix())
              .put("rewrite", r.rewrite())
              .put("timeoutMs", r.timeoutMillis() == 0 ? null : r.timeoutMillis());
      JsonObject hs = new JsonObject();
      r.headers().forEach(h -> hs.put(h.name(), h.toString()));
      JsonObject qs = new JsonObject();
      r.query().forEach(h -> qs.put(h.name(), h.toString()));
      o.put("headers", hs).put("query", qs);
      arr.add(o);
    }
    return new JsonObject().put("generation", table.generation()).put("routes", arr);
  }

  private static void json(HttpServerRequest req, int status, JsonObject body) {
    req.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(body.encodePrettily());
  }
}
