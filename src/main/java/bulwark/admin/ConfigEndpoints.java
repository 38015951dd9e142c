package bulwark.admin;

import bulwark.admin.AdminAccess.Role;
import bulwark.config.ConfigError;
import bulwark.config.ConfigException;
import bulwark.config.ConfigTrees;
import bulwark.fleet.ConfigStore;
import bulwark.fleet.ConfigWrite;
import bulwark.fleet.ConfigWrite.Precondition;
import bulwark.fleet.ConfigWrite.Result;
import bulwark.fleet.EtcdException;
import bulwark.fleet.ResourceKinds;
import bulwark.fleet.RoutingModel;
import bulwark.proxy.Problem;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The config API: {@code GET /config}, {@code GET /config/{kind}}, {@code GET/PUT/DELETE
 * /config/{kind}/{name}} and {@code GET/PUT /config/settings}. In etcd mode reads come from etcd
 * (with ETags: etcd mod revisions) and a write goes through {@link ConfigStore} (the whole
 * resulting config validated, then one guarded transaction) and is audited ({@code config.write}).
 * In file mode reads show the file's routing sections, read-only, and writes answer 405.
 */
final class ConfigEndpoints {
  private static final Logger LOG = LoggerFactory.getLogger(ConfigEndpoints.class);
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /** Largest request body accepted: one resource, not a whole config. */
  static final int MAX_BODY = 1 << 20;

  private final Vertx vertx;
  private final GatewayView gateway;
  private final AdminAccess access;

  ConfigEndpoints(Vertx vertx, GatewayView gateway, AdminAccess access) {
    this.vertx = vertx;
    this.gateway = gateway;
    this.access = access;
  }

  static boolean handles(String path) {
    return path.equals("/config") || path.startsWith("/config/");
  }

  /** What a path under /config names: kind null for /config, name null for a kind or settings. */
  private record Target(String kind, String name) {
    boolean settings() {
      return ResourceKinds.SETTINGS.equals(kind);
    }

    boolean resource() {
      return name != null || settings();
    }
  }

  /** A request to /config or below, already admitted as {@code role}. */
  void handle(HttpServerRequest req, String rid, Role role) {
    Target t = target(req.path());
    if (t == null) {
      problem(
          req,
          rid,
          404,
          "no admin endpoint "
              + req.path()
              + " (/config, /config/{kind}, /config/{kind}/{name} with kind "
              + String.join(", ", ResourceKinds.NAMED)
              + ", and /config/settings)");
      return;
    }
    String method = req.method().name();
    if (method.equals("GET") || method.equals("HEAD")) {
      read(req, rid, t);
      return;
    }
    String allow =
        t.settings() ? "GET, HEAD, PUT" : t.resource() ? "GET, HEAD, PUT, DELETE" : "GET, HEAD";
    if (!allow.contains(method)) {
      req.response().putHeader("Allow", allow);
      problem(
          req, rid, 405, method + " is not allowed on " + req.path() + " (allowed: " + allow + ")");
      return;
    }
    FleetView fleet = gateway.fleet();
    if (fleet == null) {
      req.response().putHeader("Allow", "GET, HEAD");
      problem(
          req,
          rid,
          405,
          "the routing config comes from the config file (configSource.type: file) and is read-only"
              + " here: edit the file (it is reloaded when it changes, or on SIGHUP). To change it"
              + " through this API, keep it in etcd: configSource.type: etcd (docs/cluster.md)");
      return;
    }
    if (!access.mayWrite(role, req, rid)) return;
    Precondition pre;
    try {
      pre = Precondition.of(req.getHeader("If-Match"), req.getHeader("If-None-Match"));
    } catch (IllegalArgumentException e) {
      problem(req, rid, 400, e.getMessage());
      return;
    }
    ConfigStore store = store(fleet);
    String who = "admin API (" + role.auditName + ", " + peer(req) + ")";
    Context ctx = vertx.getOrCreateContext();
    if (method.equals("DELETE")) {
      store
          .delete(t.kind(), t.name(), pre, who)
          .onComplete(onLoop(ctx, ar -> written(req, rid, role, t, ar)));
      return;
    }
    body(
        req,
        rid,
        text -> {
          JsonNode value;
          try {
            value = ConfigTrees.readValue(text);
          } catch (ConfigException e) {
            invalid(req, rid, "the body is not one valid JSON or YAML value", e.errors());
            return;
          }
          store
              .put(t.kind(), t.name(), value, pre, who)
              .onComplete(onLoop(ctx, ar -> written(req, rid, role, t, ar)));
        });
  }

  /** /config -> (null, null); /config/routes -> (routes, null); /config/routes/x; null: none. */
  private static Target target(String path) {
    String[] p = path.substring(1).split("/", -1);
    if (p.length == 1) return new Target(null, null);
    if (p.length == 2 && p[1].equals(ResourceKinds.SETTINGS)) return new Target(p[1], null);
    if (!ResourceKinds.NAMED.contains(p[1])) return null;
    if (p.length == 2) return new Target(p[1], null);
    if (p.length != 3 || p[2].isEmpty()) return null;
    try {
      // a path segment: %XX escapes, '+' is itself
      return new Target(p[1], URLDecoder.decode(p[2].replace("+", "%2B"), StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private ConfigStore store(FleetView fleet) {
    return new ConfigStore(fleet.etcd(), fleet.layout(), fleet.bootstrap(), vertx);
  }

  // --- reads

  private void read(HttpServerRequest req, String rid, Target t) {
    FleetView fleet = gateway.fleet();
    Context ctx = vertx.getOrCreateContext();
    Future<RoutingModel> model =
        fleet != null
            ? store(fleet).read()
            : vertx.executeBlocking(() -> RoutingModel.fromConfig(gateway.config()), false);
    model.onComplete(
        onLoop(
            ctx,
            ar -> {
              if (ar.failed()) failed(req, rid, ar.cause());
              else view(req, rid, t, ar.result(), fleet != null);
            }));
  }

  /** Answers a read from {@code m}; ETags only in etcd mode (a file has no revisions). */
  private static void view(
      HttpServerRequest req, String rid, Target t, RoutingModel m, boolean etcd) {
    if (t.resource()) {
      RoutingModel.Entry e = m.entry(t.kind(), t.name());
      if (e == null && !t.settings()) {
        problem(req, rid, 404, "no " + t.kind() + "/" + t.name() + " in the routing config");
        return;
      }
      if (e != null && etcd) req.response().putHeader("ETag", etag(e.modRevision()));
      send(req, 200, e == null ? F.objectNode() : ConfigWrite.forJson(e.tree()));
      return;
    }
    ObjectNode body = F.objectNode();
    body.put("source", etcd ? "etcd" : "file");
    if (etcd) {
      body.put("prefix", m.layout().prefix());
      body.put("revision", m.revision());
      req.response().putHeader("ETag", etag(m.revision()));
    }
    for (String kind : t.kind() == null ? ResourceKinds.NAMED : List.of(t.kind())) {
      ObjectNode o = body.putObject(kind);
      m.trees(kind).forEach((n, tree) -> o.set(n, ConfigWrite.forJson(tree)));
    }
    if (t.kind() == null) {
      JsonNode s = m.settings();
      body.set("settings", s == null ? F.objectNode() : ConfigWrite.forJson(s));
      // keys etcd holds that are not resources (every gateway refuses the config until fixed)
      if (!m.errors().isEmpty()) {
        var errs = body.putArray("invalidKeys");
        m.errors().forEach(e -> errs.add(e.toString()));
      }
    }
    send(req, 200, body);
  }

  // --- writes

  /** Reads the body (at most {@link #MAX_BODY} bytes) as UTF-8 text, then calls {@code then}. */
  private static void body(HttpServerRequest req, String rid, Handler<String> then) {
    String length = req.getHeader("Content-Length");
    if (length != null && (length.length() > 12 || parse(length) > MAX_BODY)) {
      AdminServer.answerAfterBody(req, () -> tooLarge(req, rid));
      return;
    }
    Buffer buf = Buffer.buffer();
    boolean[] over = {false};
    req.handler(
        chunk -> {
          if (buf.length() + chunk.length() > MAX_BODY) over[0] = true;
          else buf.appendBuffer(chunk);
        });
    req.exceptionHandler(e -> {});
    req.endHandler(
        v -> {
          if (over[0]) tooLarge(req, rid);
          else then.handle(buf.toString(StandardCharsets.UTF_8));
        });
  }

  private static long parse(String n) {
    try {
      return Long.parseLong(n.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static void tooLarge(HttpServerRequest req, String rid) {
    problem(req, rid, 413, "a resource's body is at most " + MAX_BODY + " bytes");
  }

  /** Answers a write; audits it when it committed. */
  private void written(
      HttpServerRequest req, String rid, Role role, Target t, AsyncResult<Result> ar) {
    if (ar.failed()) {
      failed(req, rid, ar.cause());
      return;
    }
    var resp = req.response();
    switch (ar.result()) {
      case Result.Written w -> {
        audit(req, rid, role, w);
        resp.putHeader("ETag", etag(w.revision()));
        switch (w.op()) {
          case DELETE -> resp.setStatusCode(204).putHeader("Cache-Control", "no-store").end();
          case CREATE -> {
            resp.putHeader("Location", req.path());
            send(req, 201, ConfigWrite.forJson(w.stored()));
          }
          case UPDATE -> send(req, 200, ConfigWrite.forJson(w.stored()));
        }
      }
      case Result.Invalid inv ->
          invalid(
              req,
              rid,
              "the resulting routing config would be invalid; nothing was written",
              inv.errors());
      case Result.NotFound nf ->
          problem(req, rid, 404, "no " + nf.kind() + "/" + nf.name() + " in the routing config");
      case Result.PreconditionFailed pf -> {
        if (pf.current() > 0) resp.putHeader("ETag", etag(pf.current()));
        problem(req, rid, 412, pf.detail() + "; nothing was written");
      }
      case Result.InUse use ->
          Problem.send(
              resp,
              409,
              "Conflict",
              t.kind()
                  + "/"
                  + t.name()
                  + " is in use by "
                  + String.join("; ", use.users())
                  + ": change or delete those first; nothing was written",
              rid,
              req.path(),
              "usedBy",
              use.users());
      case Result.Conflict c -> problem(req, rid, 409, c.detail());
    }
  }

  /** config.write: who (role, peer), what (kind, name, operation, revision) and the diff. */
  private void audit(HttpServerRequest req, String rid, Role role, Result.Written w) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("user.roles", List.of(role.auditName));
    f.put("source.ip", peer(req));
    f.put("http.request.method", req.method().name());
    f.put("url.path", req.path());
    f.put("http.request.id", rid);
    f.put("bulwark.config.kind", w.kind());
    f.put("bulwark.config.name", w.name());
    f.put("bulwark.config.operation", w.op().name().toLowerCase(Locale.ROOT));
    f.put("bulwark.config.revision", w.revision());
    f.put("bulwark.config.diff", w.diff());
    gateway.audit().event("config.write", f);
  }

  // --- answers

  /** etcd unreachable or refusing: 503; anything else is a bug: 500, logged, no details out. */
  private static void failed(HttpServerRequest req, String rid, Throwable cause) {
    if (cause instanceof EtcdException e) {
      problem(
          req,
          rid,
          503,
          "etcd could not be read or written: " + e.getMessage() + "; nothing was written");
      return;
    }
    LOG.warn("admin {} {} failed (request id {})", req.method(), req.path(), rid, cause);
    problem(req, rid, 500, "the request failed (request id " + rid + "); see the gateway's log");
  }

  private static void invalid(
      HttpServerRequest req, String rid, String detail, List<ConfigError> errors) {
    Problem.send(
        req.response(),
        400,
        "Bad Request",
        detail + ": " + errors.size() + " error" + (errors.size() == 1 ? "" : "s"),
        rid,
        req.path(),
        "errors",
        errors.stream().map(ConfigError::toString).toList());
  }

  private static void problem(HttpServerRequest req, String rid, int status, String detail) {
    Problem.send(req.response(), status, title(status), detail, rid, req.path());
  }

  private static String title(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 409 -> "Conflict";
      case 412 -> "Precondition Failed";
      case 413 -> "Content Too Large";
      case 503 -> "Service Unavailable";
      default -> "Internal Server Error";
    };
  }

  private static void send(HttpServerRequest req, int status, JsonNode body) {
    req.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(body.toPrettyString());
  }

  static String etag(long revision) {
    return "\"" + revision + "\"";
  }

  private static String peer(HttpServerRequest req) {
    return req.remoteAddress() == null ? "unknown" : req.remoteAddress().hostAddress();
  }

  /** {@code h} run on {@code ctx} (the request's event loop), whichever thread completes. */
  private static <T> Handler<AsyncResult<T>> onLoop(Context ctx, Handler<AsyncResult<T>> h) {
    return ar -> ctx.runOnContext(v -> h.handle(ar));
  }
}
