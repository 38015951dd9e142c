package bulwark.admin;

import bulwark.config.AdminConfig;
import bulwark.config.HealthCheckConfig;
import bulwark.config.HostPort;
import bulwark.filter.ratelimit.RedisLink;
import bulwark.proxy.Problem;
import bulwark.proxy.RequestIds;
import bulwark.remediation.Alert;
import bulwark.routing.Route;
import bulwark.server.Gateway;
import bulwark.upstream.Target;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.health.TargetHealth;
import bulwark.upstream.health.UpstreamHealth;
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
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;

/**
 * The admin listener: its own port, loopback by default, never served on the data port. Read-only,
 * but for POST /alerts: Alertmanager notifications that turn remediation actions on and off (see
 * docs/observability-remediation.md). Nothing it receives is ever evaluated as code.
 */
public final class AdminServer {
  /** The largest Alertmanager notification POST /alerts reads. */
  static final int MAX_ALERTS_BODY = 1 << 20;
  private final Vertx vertx;
  private final Gateway gateway;
  private final AdminConfig config;
  private final byte[] token;
  private HttpServer server;

  public AdminServer(Vertx vertx, Gateway gateway, AdminConfig config) {
    this.vertx = vertx;
    this.gateway = gateway;
    this.config = config;
    this.token = config.token() == null || config.token().isEmpty() ? null : ("Bearer " + config.token()).getBytes(StandardCharsets.UTF_8);
  }

  public Future<HttpServer> start() {
    HostPort hp = HostPort.parse(config.listen());
    server = vertx.createHttpServer(new HttpServerOptions().setHost(hp.host()).setPort(hp.port()))
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
    req.response().endHandler(v -> gateway.telemetry().adminCall(req.method().name(), req.path(), req.response().getStatusCode(), peer));
    if (token != null) {
      String auth = req.getHeader("Authorization");
      byte[] given = auth == null ? new byte[0] : auth.getBytes(StandardCharsets.UTF_8);
      if (!MessageDigest.isEqual(given, token)) {
        req.response().putHeader("WWW-Authenticate", "Bearer realm=\"bulwark-admin\"");
        Problem.send(req.response(), 401, "Unauthorized", "the admin API needs a valid bearer token", rid, req.path());
        return;
      }
    }
    if (req.path().equals("/alerts")) {
      if (req.method().name().equals("POST")) {
        alerts(req, rid);
      } else {
        req.response().putHeader("Allow", "POST");
        Problem.send(req.response(), 405, "Method Not Allowed", "/alerts takes Alertmanager webhook notifications by POST", rid, req.path());
      }
      return;
    }
    if (req.method().name().equals("GET") || req.method().name().equals("HEAD")) {
      switch (req.path()) {
        case "/health/live" -> json(req, 200, new JsonObject().put("status", "UP"));
        case "/health/ready" -> ready(req);
        case "/routes" -> json(req, 200, routes());
        case "/upstreams" -> json(req, 200, upstreams());
        case "/remediations" -> json(req, 200, new JsonObject().put("active", gateway.observability().remediation().list()));
        case "/metrics" -> metrics(req, rid);
        default -> Problem.send(req.response(), 404, "Not Found", "no admin endpoint " + req.path(), rid, req.path());
      }
      return;
    }
    req.response().putHeader("Allow", "GET, HEAD");
    Problem.send(req.response(), 405, "Method Not Allowed", "the admin API is read-only (except POST /alerts)", rid, req.path());
  }

  /**
   * POST /alerts: an Alertmanager webhook notification (JSON, at most {@link #MAX_ALERTS_BODY}
   * bytes) that turns remediation actions on or off; answers what it did.
   */
  private void alerts(HttpServerRequest req, String rid) {
    String ct = req.getHeader("Content-Type");
    if (ct == null || !ct.split(";")[0].trim().equalsIgnoreCase("application/json")) {
      Problem.send(req.response(), 415, "Unsupported Media Type", "/alerts takes application/json", rid, req.path());
      return;
    }
    String cl = req.getHeader("Content-Length");
    if (cl != null && cl.chars().allMatch(Character::isDigit) && (cl.length() > 12 || Long.parseLong(cl) > MAX_ALERTS_BODY)) {
      tooLarge(req, rid);
      return;
    }
    Buffer body = Buffer.buffer();
    boolean[] over = {false};
    req.handler(chunk -> {
      if (over[0]) return;
      if (body.length() + chunk.length() > MAX_ALERTS_BODY) {
        over[0] = true;
        tooLarge(req, rid);
      } else {
        body.appendBuffer(chunk);
      }
    });
    req.endHandler(v -> {
      if (over[0]) return;
      List<Alert> alerts;
      try {
        Object parsed = Json.decodeValue(body);
        if (!(parsed instanceof JsonObject payload)) throw new IllegalArgumentException("the body is not a JSON object");
        alerts = Alert.parse(payload);
      } catch (DecodeException e) {
        Problem.send(req.response(), 400, "Bad Request", "the body is not valid JSON", rid, req.path());
        return;
      } catch (IllegalArgumentException e) {
        Problem.send(req.response(), 400, "Bad Request", "not an Alertmanager webhook payload: " + e.getMessage(), rid, req.path());
        return;
      }
      json(req, 200, gateway.observability().remediation().onAlerts(alerts));
    });
  }

  private static void tooLarge(HttpServerRequest req, String rid) {
    req.response().putHeader("Connection", "close");
    Problem.send(req.response(), 413, "Content Too Large", "/alerts takes at most " + bulwark.config.ByteSize.human(MAX_ALERTS_BODY), rid, req.path());
  }

  /** The Prometheus exposition (OpenMetrics when the Accept header asks for it), rendered off the event loop. */
  private void metrics(HttpServerRequest req, String rid) {
    var o = gateway.observability();
    var m = o == null ? null : o.metrics();
    if (m == null || o.prometheus() == null) {
      Problem.send(req.response(), 404, "Not Found", "metrics are disabled (observability.metrics.enabled: false)", rid, req.path());
      return;
    }
    String type = bulwark.observe.metrics.GatewayMetrics.contentType(req.getHeader("Accept"));
    vertx.executeBlocking(() -> m.scrape(o.prometheus(), type)).onComplete(ar -> {
      if (ar.failed()) {
        Problem.send(req.response(), 500, "Internal Server Error", "the metrics could not be rendered (request id " + rid + ")", rid, req.path());
        return;
      }
      req.response().setStatusCode(200).putHeader("Content-Type", type).putHeader("Cache-Control", "no-store").end(ar.result());
    });
  }

  private void ready(HttpServerRequest req) {
    boolean draining = gateway.draining();
    var snap = gateway.snapshot();
    JsonObject components = new JsonObject();
    components.put("dataListener", new JsonObject()
        .put("status", draining ? "OUT_OF_SERVICE" : "UP")
        .put("details", new JsonObject().put("address", snap.config().server().listen()).put("inFlight", gateway.inFlight())
            .put("transport", gateway.nativeTransport() ? "epoll" : "nio")
            .put("tlsHandshakes", new JsonObject().put("count", bulwark.server.TlsHandshakes.count())
                .put("failed", bulwark.server.TlsHandshakes.failed())
                .put("averageMillis", Math.round(bulwark.server.TlsHandshakes.averageMillis() * 1000) / 1000.0)
                .put("maxMillis", Math.round(bulwark.server.TlsHandshakes.maxMillis() * 1000) / 1000.0))));
    components.put("config", new JsonObject()
        .put("status", "UP")
        .put("details", new JsonObject()
            .put("generation", gateway.generation())
            .put("routes", snap.table().routes().size())
            .put("lastReload", String.valueOf(gateway.lastReload()))
            .put("reloadsSucceeded", gateway.reloadsOk())
            .put("reloadsFailed", gateway.reloadsFailed())
            .put("lastReloadError", gateway.lastReloadError())));
    // an upstream without a usable target is DOWN here, but readiness stays UP: the gateway still
    // serves its other upstreams, fallbacks and panic mode; see docs/health.md
    JsonObject ups = new JsonObject();
    boolean allUp = true;
    for (UpstreamRuntime u : snap.table().upstreams().values()) {
      JsonArray ts = new JsonArray();
      for (Target t : u.targets()) {
        TargetHealth h = t.state().health();
        ts.add(new JsonObject().put("target", t.key()).put("weight", t.weight()).put("state", h.status().name())
            .put("score", h.score()).put("inFlight", t.state().inFlight()).put("available", t.available()));
      }
      int usable = u.health().usable();
      allUp &= usable > 0;
      ups.put(u.name(), new JsonObject().put("status", usable > 0 ? "UP" : "DOWN").put("details", new JsonObject()
          .put("balancer", u.config().balancer()).put("usableTargets", usable).put("panic", u.health().panic()).put("targets", ts)));
    }
    components.put("upstreams", new JsonObject().put("status", allUp ? "UP" : "DOWN").put("components", ups));
    RedisLink redis = gateway.rateLimits().redis();
    if (redis != null) {
      // shown, but it does not make the gateway unready: every instance shares this Redis, and taking
      // them all out of the load balancer would turn a degraded rate limit into a full outage
      components.put("redis", new JsonObject()
          .put("status", redis.up() ? "UP" : "DOWN")
          .put("details", new JsonObject()
              .put("address", redis.address())
              .put("failures", redis.failures())
              .put("allowedWhileDown", redis.allowedWhileDown())
              .put("refusedWhileDown", redis.refusedWhileDown())
              .put("downSince", redis.downSince() == null ? null : redis.downSince().toString())
              .put("lastError", redis.lastError())));
    }
    String status = draining ? "OUT_OF_SERVICE" : "UP";
    json(req, draining ? 503 : 200, new JsonObject().put("status", status).put("components", components));
  }

  /** Every upstream with the live state of each target, and its resilience state (breakers...). */
  private JsonObject upstreams() {
    var table = gateway.snapshot().table();
    JsonObject ups = new JsonObject();
    Instant now = Instant.now();
    for (UpstreamRuntime u : table.upstreams().values()) {
      UpstreamHealth health = u.health();
      HealthCheckConfig hc = health.config();
      JsonArray ts = new JsonArray();
      for (Target t : u.targets()) {
        TargetHealth h = t.state().health();
        long ejectedMs = health.ejectedForMillis(t);
        ts.add(new JsonObject()
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
      JsonObject o = new JsonObject()
          .put("status", usable > 0 ? "UP" : health.panic() ? "PANIC" : "DOWN")
          .put("balancer", u.config().balancer())
          .put("usableTargets", usable)
          .put("healthCheck", new JsonObject()
              .put("active", hc == null || hc.active() == null ? null : hc.active().type())
              .put("passive", hc != null && hc.passive() != null)
              .put("panic", health.panic()))
          .put("targets", ts);
      u.resilienceInfo().forEach(o::put);
      ups.put(u.name(), o);
    }
    return new JsonObject().put("generation", table.generation()).put("upstreams", ups);
  }

  private JsonObject routes() {
    var table = gateway.snapshot().table();
    JsonArray arr = new JsonArray();
    for (Route r : table.routes()) {
      JsonObject o = new JsonObject()
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
    req.response().setStatusCode(status).putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-store").end(body.encodePrettily());
  }
}
