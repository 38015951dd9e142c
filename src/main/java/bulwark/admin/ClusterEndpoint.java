package bulwark.admin;

import bulwark.fleet.KeyValue;
import bulwark.fleet.RangeResult;
import bulwark.proxy.Problem;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * GET /cluster: where the routing config comes from, this instance's state (revision served, last
 * sync and error), and the live instances. In etcd mode these are read from {@code <prefix>/nodes/}
 * (each gateway's {@code NodeRegistration}), each with the revision it serves and whether that is
 * the newest any of them serves; in file mode the one instance is this one.
 */
final class ClusterEndpoint {
  private final GatewayView gateway;

  ClusterEndpoint(GatewayView gateway) {
    this.gateway = gateway;
  }

  void handle(HttpServerRequest req, String rid) {
    FleetView fleet = gateway.fleet();
    if (fleet == null) {
      JsonObject self =
          new JsonObject()
              .put("id", "local")
              .put("address", gateway.config().server().listen())
              .put("generation", gateway.generation())
              .put("lastSync", text(gateway.lastReload()))
              .put("lastError", gateway.lastReloadError())
              .put("current", true)
              .put("self", true);
      AdminServer.json(
          req,
          200,
          new JsonObject()
              .put("source", gateway.configSource())
              .put("node", self)
              .put("nodes", new JsonArray().add(self)));
      return;
    }
    Context ctx = Vertx.currentContext();
    fleet
        .etcd()
        .range(fleet.layout().nodesPrefix())
        .onComplete(
            ar ->
                ctx.runOnContext(
                    v -> {
                      if (ar.failed()) {
                        Problem.send(
                            req.response(),
                            503,
                            "Service Unavailable",
                            "cannot read the nodes from etcd: " + ar.cause().getMessage(),
                            rid,
                            req.path());
                        return;
                      }
                      AdminServer.json(req, 200, cluster(fleet, ar.result()));
                    }));
  }

  private JsonObject cluster(FleetView fleet, RangeResult nodes) {
    JsonArray list = new JsonArray();
    long newest = fleet.revision();
    for (KeyValue kv : nodes.kvs()) {
      JsonObject n = node(kv, fleet.layout().nodesPrefix());
      list.add(n);
      Long r = n.getLong("revision");
      if (r != null) newest = Math.max(newest, r);
    }
    String self = fleet.nodeId();
    for (int i = 0; i < list.size(); i++) {
      JsonObject n = list.getJsonObject(i);
      n.put("current", n.getLong("revision") != null && n.getLong("revision") == newest);
      n.put("self", n.getString("id").equals(self));
    }
    JsonObject me =
        new JsonObject()
            .put("id", self)
            .put("revision", fleet.revision())
            .put("current", fleet.revision() == newest)
            .put("lastSync", text(fleet.lastSync()))
            .put("lastError", fleet.lastError())
            .put("refusedRevision", fleet.refusedRevision() == 0 ? null : fleet.refusedRevision());
    return new JsonObject()
        .put("source", gateway.configSource())
        .put("prefix", fleet.layout().prefix())
        .put("etcdRevision", nodes.revision())
        .put("newestRevision", newest)
        .put("node", me)
        .put("nodes", list);
  }

  /** One node's key: its JSON value, or what can be said of a value that is not that. */
  private static JsonObject node(KeyValue kv, String prefix) {
    String id = kv.key().substring(prefix.length());
    JsonObject n;
    try {
      n = new JsonObject(kv.text());
    } catch (DecodeException | ClassCastException e) {
      n = new JsonObject().put("error", "the value is not a node's JSON");
    }
    if (!(n.getValue("revision") instanceof Number)) n.remove("revision");
    return n.put("id", id).put("key", kv.key()).put("lease", Long.toHexString(kv.lease()));
  }

  private static String text(Instant t) {
    return t == null ? null : t.toString();
  }
}
