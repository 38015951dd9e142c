package bulwark.admin;

import bulwark.admin.AdminAccess.Role;
import bulwark.config.ConfigError;
import bulwark.config.ConfigException;
import bulwark.fleet.ConfigStore;
import bulwark.fleet.ConfigStore.Precondition;
import bulwark.fleet.ConfigStore.Result;
import bulwark.fleet.ResourceKinds;
import bulwark.fleet.RoutingModel;
import bulwark.observe.Audit;
import bulwark.proxy.Problem;
import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.AsyncResult;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The config API: {@code GET /config}, {@code GET /config/{kind}}, {@code GET/PUT/DELETE
 * /config/{kind}/{name}} and {@code GET/PUT /config/settings}. In etcd mode a write goes through
 * {@link ConfigStore} (the whole resulting config validated, then one guarded etcd transaction) and
 * is audited; in file mode reads show the file's routing sections and writes answer 405.
 */
final class ConfigEndpoints {
  /** Largest request body accepted (a resource, not a whole config). */
  private static final int MAX_BODY = 1 << 20;

  private final Vertx vertx;

  /** The store in etcd mode, null in file mode. */
  private final ConfigStore store;

  private final GatewayView gateway;
  private final AdminAccess access;
  private final Supplier<Audit> audit;

  ConfigEndpoints(
      Vertx vertx, ConfigStore store, GatewayView gateway, AdminAccess access, Supplier<Audit> audit) {
    this.vertx = vertx;
    this.store = store;
    this.gateway = gateway;
    this.access = access;
    this.audit = audit;
  }

  static boolean handles(String path) {
    return path.equals("/config") || path.startsWith("/config/");
  }

  /** A request to /config or below, already admitted as {@code role}. */
  void handle(HttpServerRequest req, String rid, Role role) {
    String[] parts = req.path().substring(1).split("/", -1);
    String method = req.method().name();
    boolean read = method.equals("GET") || method.equals("HEAD");
    boolean settings = parts.length == 2 && parts[1].equals("settings");
    boolean resource = parts.length == 3 && ConfigStore.KINDS.contains(parts[1]);
    boolean collection = parts.length == 2 && ConfigStore.KINDS.contains(parts[1]);
    if (!(parts.length == 1 || collection || settings || (resource && !parts[2].isEmpty()))) {
      Problem.send(
          req.response(),
          404,
          "Not Found",
          "no admin endpoint "
              + req.path()
              + " (kinds: "
              + String.join(", ", ConfigStore.KINDS)
              + ", and settings)",
          rid,
          req.path());
      return;
    }
    String allow =
        resource ? "GET, HEAD, PUT, DELETE" : settings ? "GET, HEAD, PUT" : "GET, HEAD";
    boolean writable = (resource && (method.equals("PUT") || method.equals("DELETE")))
        || (settings && method.equals("PUT"));
    if (!read && !writable) {
      req.response().putHeader("Allow", allow);
      Problem.send(
          req.response(),
          405,
          "Method Not Allowed",
          req.method() + " is not allowed on " + req.path(),
          rid,
          req.path());
      return;
    }
    if (!read && store == null) {
      req.response().putHeader("Allow", "GET, HEAD");
      Problem.send(
          req.response(),
          405,
          "Method Not Allowed",
          "the routing config comes from the config file (configSource.type: file): change it by"
              + " editing the file, which is reloaded when it changes or on SIGHUP; the write API"
              + " needs configSource.type: etcd",
          rid,
          req.path());
      return;
    }
    if (!read && !access.mayWrite(role, req, rid)) return;
    String kind = parts.length > 1 ? parts[1] : null;
    String name = resource ? parts[2] : null;
    if (read) {
      vertx
          .executeBlocking(() -> reads(kind, name, settings))
          .onComplete(
              ar -> {
                if (ar.failed()) unavailable(req, rid, ar.cause());
                else ar.result().send(req, rid);
              });
      return;
    }
    Precondition pre;
    try {
      pre = Precondition.of(req.getHeader("If-Match"), req.getHeader("If-None-Match"));
    } catch (IllegalArgumentException e) {
      Problem.send(req.response(), 400, "Bad Request", e.getMessage(), rid, req.path());
      return;
    }
    if (method.equals("DELETE")) {
      vertx
          .executeBlocking(() -> store.delete(kind, name, pre))
          .onComplete(ar -> written(req, rid, role, "delete", kind, name, ar));
      return;
    }
    String length = req.getHeader("Content-Length");
    if (length != null && length.length() > 9 || length != null && Long.parseLong(length) > MAX_BODY) {
      tooLarge(req, rid);
      return;
    }
    Buffer buf = Buffer.buffer();
    req.handler(
        chunk -> {
          if (buf.length() <= MAX_BODY) buf.appendBuffer(chunk);
        });
    req.exceptionHandler(e -> {});
    req.endHandler(
        end -> {
              if (buf.length() > MAX_BODY) {
                tooLarge(req, rid);
                return;
              }
              JsonNode tree;
              try {
                tree = ConfigStore.parse(buf.toString());
              } catch (ConfigException e) {
                invalid(req, rid, "the body is not valid JSON or YAML", e.errors());
                return;
              }
              vertx
                  .executeBlocking(
                      () ->
                          settings
                              ? store.putSettings(tree, pre)
                              : store.put(kind, name, tree, pre))
                  .onComplete(
                      ar -> written(req, rid, role, settings ? "update" : "put", kind, name, ar));
            });
  }

  private static void tooLarge(HttpServerRequest req, String rid) {
    Problem.send(
        req.response(),
        413,
        "Content Too Large",
        "a resource body is at most " + MAX_BODY + " bytes",
        rid,
        req.path());
  }

  /** A read's answer: a status, an ETag (or null) and a JSON body. */
  private record Reply(int status, String etag, JsonObject body, String problem) {
    void send(HttpServerRequest req, String rid) {
      if (problem != null) {
        Problem.send(req.response(), status, "Not Found", problem, rid, req.path());
        return;
      }
      if (etag != null) req.response().putHeader("ETag", etag);
      AdminServer.json(req, status, body);
    }
  }

  /** Blocking: GET /config, /config/{kind}, /config/{kind}/{name} or /config/settings. */
  private Reply reads(String kind, String name, boolean settings) {
    RoutingModel model =
        store != null ? store.read() : RoutingModel.fromConfig(gateway.config());
    String source = store != null ? "etcd" : "file";
    if (kind == null) {
      JsonObject all = new JsonObject().put("source", source);
      if (store != null) all.put("revision", model.revision());
      for (String k : ConfigStore.KINDS) all.put(k, trees(model, k));
      JsonNode s = model.settings();
      all.put("settings", s == null ? new JsonObject() : json(s));
      return new Reply(200, store == null ? null : etag(model.revision()), all, null);
    }
    if (settings) {
      RoutingModel.Entry e = model.entry(ResourceKinds.SETTINGS, ResourceKinds.SETTINGS);
      JsonObject body = e == null ? new JsonObject() : json(e.tree());
      return new Reply(200, e == null || store == null ? null : etag(e.modRevision()), body, null);
    }
    if (name == null) {
      JsonObject body = new JsonObject().put("source", source);
      if (store != null) body.put("revision", model.revision());
      body.put(kind, trees(model, kind));
      return new Reply(200, store == null ? null : etag(model.revision()), body, null);
    }
    RoutingModel.Entry e = model.entry(kind, name);
    if (e == null) return new Reply(404, null, null, "no " + kind + "/" + name + " in the config");
    return new Reply(200, store == null ? null : etag(e.modRevision()), json(e.tree()), null);
  }

  private static JsonObject trees(RoutingModel model, String kind) {
    JsonObject o = new JsonObject();
    new TreeMap<>(model.trees(kind)).forEach((n, t) -> o.put(n, json(t)));
    return o;
  }

  private static JsonObject json(JsonNode tree) {
    return new JsonObject(tree.toString());
  }

  static String etag(long revision) {
    return "\"" + revision + "\"";
  }

  private void unavailable(HttpServerRequest req, String rid, Throwable cause) {
    Problem.send(
        req.response(),
        503,
        "Service Unavailable",
        "etcd could not be reached: " + cause.getMessage(),
        rid,
        req.path());
  }

  /** Answers a write and audits it when it committed. */
  private void written(
      HttpServerRequest req,
      String rid,
      Role role,
      String operation,
      String kind,
      String name,
      AsyncResult<Result> ar) {
    if (ar.failed()) {
      unavailable(req, rid, ar.cause());
      return;
    }
    var resp = req.response();
    switch (ar.result()) {
      case Result.Written w -> {
        audit(req, role, w);
        resp.putHeader("ETag", etag(w.modRevision()));
        if (w.stored() == null) {
          resp.setStatusCode(204).end();
        } else {
          if (w.created()) resp.putHeader("Location", req.path());
          AdminServer.json(req, w.created() ? 201 : 200, json(w.stored()));
        }
      }
      case Result.Invalid inv ->
          invalid(req, rid, "the resulting config would not be valid; nothing was written",
              inv.errors());
      case Result.NotFound nf ->
          Problem.send(resp, 404, "Not Found", "no " + nf.kind() + "/" + nf.name() + " in the config",
              rid, req.path());
      case Result.PreconditionFailed pf -> {
        if (pf.current() > 0) resp.putHeader("ETag", etag(pf.current()));
        Problem.send(resp, 412, "Precondition Failed", pf.detail(), rid, req.path());
      }
      case Result.InUse use ->
          Problem.send(
              resp,
              409,
              "Conflict",
              kind + "/" + name + " is in use by " + String.join(", ", use.users())
                  + "; change or delete those first",
              rid,
              req.path(),
              "usedBy",
              use.users());
      case Result.Conflict c -> Problem.send(resp, 409, "Conflict", c.detail(), rid, req.path());
    }
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

  /** config.write: who (role, address), what (kind, name, operation) and the diff. */
  private void audit(HttpServerRequest req, Role role, Result.Written w) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("user.roles", List.of(role.auditName));
    f.put("source.ip", req.remoteAddress() == null ? "unknown" : req.remoteAddress().hostAddress());
    f.put("http.request.method", req.method().name());
    f.put("url.path", req.path());
    f.put("bulwark.config.kind", w.kind());
    f.put("bulwark.config.name", w.name());
    f.put(
        "bulwark.config.operation",
        w.stored() == null ? "delete" : w.created() ? "create" : "update");
    f.put("bulwark.config.revision", w.modRevision());
    f.put("bulwark.config.diff", w.diff());
    audit.get().event("config.write", f);
  }
}
