package bulwark.admin;

import bulwark.config.HealthCheckConfig;
import bulwark.filter.ratelimit.RedisLink;
import bulwark.routing.Route;
import bulwark.transport.TlsHandshakes;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.health.UpstreamHealth;
import bulwark.upstream.target.Target;
import bulwark.upstream.target.TargetHealth;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * The admin API's JSON views of the running gateway: readiness (/health/ready), the route table
 * (/routes) and the upstreams with the live state of each target (/upstreams).
 */
final class AdminViews {
  private final GatewayView gateway;

  AdminViews(GatewayView gateway) {
    this.gateway = gateway;
  }

  /**
   * /health/ready: the data listener, the config, the upstreams and Redis; its status is
   * OUT_OF_SERVICE while the gateway drains, UP otherwise.
   */
  JsonObject ready() {
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
    components.put("config", config(table.routes().size()));
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
                      .put("mode", redis.mode())
                      .put("address", redis.address())
                      .put("failures", redis.failures())
                      .put("allowedWhileDown", redis.allowedWhileDown())
                      .put("refusedWhileDown", redis.refusedWhileDown())
                      .put(
                          "downSince",
                          redis.downSince() == null ? null : redis.downSince().toString())
                      .put("lastError", redis.lastError())));
    }
    // the listener serves clients during the start-up warm-up, but readiness waits for its end, so
    // that a load balancer sends traffic to a gateway whose request path is compiled
    var warmup = gateway.warmup();
    if (warmup != null) {
      components.put(
          "warmup",
          new JsonObject()
              .put("status", warmup.state())
              .put(
                  "details",
                  new JsonObject()
                      .put("duration", bulwark.config.Durations.format(warmup.duration()))
                      .put("requests", warmup.requests())
                      .put("failed", warmup.failed())
                      .put("detail", warmup.detail())));
    }
    String status = draining || (warmup != null && warmup.running()) ? "OUT_OF_SERVICE" : "UP";
    return new JsonObject().put("status", status).put("components", components);
  }

  /**
   * The config component: DEGRADED while the last change was refused (the gateway serves the config
   * before it: in etcd mode, of {@code revision}, while etcd has {@code refusedRevision}), else UP.
   * A connection error alone leaves it UP: what it serves is still right, only changes do not
   * arrive.
   */
  private JsonObject config(int routes) {
    FleetView fleet = gateway.fleet();
    String error = gateway.lastReloadError();
    boolean refused = fleet == null ? error != null : fleet.refusedRevision() != 0;
    Instant sync = fleet == null ? gateway.lastReload() : fleet.lastSync();
    JsonObject d =
        new JsonObject()
            .put("generation", gateway.generation())
            .put("routes", routes)
            .put("lastReload", String.valueOf(gateway.lastReload()))
            .put("reloadsSucceeded", gateway.reloadsOk())
            .put("reloadsFailed", gateway.reloadsFailed())
            .put("lastReloadError", error)
            .put("source", gateway.configSource())
            .put("fromCache", "cache".equals(gateway.configSource()))
            .put("revision", fleet == null ? null : fleet.revision())
            .put("lastSync", sync == null ? null : sync.toString())
            .put("lastError", fleet == null ? error : fleet.lastError());
    if (fleet != null) {
      d.put("nodeId", fleet.nodeId());
      d.put("refusedRevision", refused ? fleet.refusedRevision() : null);
    }
    return new JsonObject().put("status", refused ? "DEGRADED" : "UP").put("details", d);
  }

  /** Every upstream with the live state of each target, and its resilience state (breakers...). */
  JsonObject upstreams() {
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
      if (u.discovery() != null) o.put("discovery", u.discovery().info());
      u.resilienceInfo().forEach(o::put);
      ups.put(u.name(), o);
    }
    return new JsonObject().put("generation", table.generation()).put("upstreams", ups);
  }

  /** Every route of the serving table, as configured. */
  JsonObject routes() {
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
}
