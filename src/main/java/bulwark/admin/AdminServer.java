package bulwark.admin;

import bulwark.config.AdminConfig;
import bulwark.config.HostPort;
import bulwark.observe.metrics.GatewayMetrics;
import bulwark.proxy.Problem;
import bulwark.proxy.RequestIds;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

/**
 * The admin listener: its own port, loopback by default, never served on the data port. Read-only,
 * but for POST /alerts ({@link AlertsEndpoint}) and, in etcd mode, the config API under /config
 * ({@link ConfigEndpoints}). Who may read and write is {@link AdminAccess}'s call; the JSON views
 * are {@link AdminViews}. Nothing it receives is ever evaluated as code.
 */
public final class AdminServer {
  private final Vertx vertx;
  private final GatewayView gateway;
  private final AdminConfig config;
  private final AdminAccess access;
  private final AlertsEndpoint alerts;
  private final AdminViews views;
  private final ConfigEndpoints configApi;

  private HttpServer server;

  public AdminServer(Vertx vertx, GatewayView gateway, AdminConfig config) {
    this.vertx = vertx;
    this.gateway = gateway;
    this.config = config;
    this.access = new AdminAccess(config);
    this.alerts = new AlertsEndpoint(gateway);
    this.views = new AdminViews(gateway);
    this.configApi = new ConfigEndpoints(vertx, gateway, access);
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
      alerts.handle(req, rid);
      return;
    }
    AdminAccess.Role role = access.role(req, rid);
    if (role == null) return;
    if (ConfigEndpoints.handles(req.path())) {
      configApi.handle(req, rid, role);
      return;
    }
    if (req.method().name().equals("GET") || req.method().name().equals("HEAD")) {
      switch (req.path()) {
        case "/health/live" -> json(req, 200, new JsonObject().put("status", "UP"));
        case "/health/ready" -> {
          JsonObject ready = views.ready();
          json(req, "UP".equals(ready.getString("status")) ? 200 : 503, ready);
        }
        case "/routes" -> json(req, 200, views.routes());
        case "/upstreams" -> json(req, 200, views.upstreams());
        case "/remediations" ->
            json(req, 200, new JsonObject().put("active", gateway.remediation().list()));
        case "/metrics" -> metrics(req, rid);
        case "/cluster" -> new ClusterEndpoint(gateway).handle(req, rid);
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
        "the admin API is read-only (except POST /alerts, with remediation.webhookToken, and the"
            + " config API under /config in etcd mode)",
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

  /** How much of a rejected body is read and dropped before its answer, at most (16 MiB). */
  static final long DRAIN_LIMIT = 16L << 20;

  /**
   * Answers a request whose body is refused (too large) once the client has sent it: the body is
   * read and dropped first, because closing a connection with unread bytes resets it, and a client
   * still sending would lose the answer. A body that goes on past {@link #DRAIN_LIMIT} has the
   * connection closed instead.
   */
  static void answerAfterBody(HttpServerRequest req, Runnable answer) {
    long[] dropped = {0};
    req.handler(
        chunk -> {
          dropped[0] += chunk.length();
          if (dropped[0] > DRAIN_LIMIT) req.connection().close();
        });
    req.exceptionHandler(e -> {});
    req.endHandler(v -> answer.run());
  }

  static void json(HttpServerRequest req, int status, JsonObject body) {
    req.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(body.encodePrettily());
  }
}
