package bulwark.cli;

import bulwark.server.ListenException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Small JSON services for the demo: each answers with its service name, instance and what it
 * received.
 */
final class DemoUpstreams {
  record Service(String name, String instance, int port) {}

  static final List<Service> SERVICES =
      List.of(
          new Service("users", "users-a", 18081),
          new Service("users", "users-b", 18082),
          new Service("users-v2", "users-v2-a", 18083),
          new Service("orders", "orders-a", 18084));

  private final Vertx vertx;
  private final List<HttpServer> servers = new ArrayList<>();

  DemoUpstreams(Vertx vertx) {
    this.vertx = vertx;
  }

  Future<Void> start() {
    List<Future<HttpServer>> fs = new ArrayList<>();
    for (Service s : SERVICES) {
      HttpServer server =
          vertx
              .createHttpServer()
              .requestHandler(
                  req ->
                      req.body()
                          .onSuccess(
                              body -> {
                                JsonObject reply =
                                    new JsonObject()
                                        .put("service", s.name())
                                        .put("instance", s.instance())
                                        .put("method", req.method().name())
                                        .put("path", req.path())
                                        .put("query", req.query())
                                        .put("x-forwarded-for", req.getHeader("X-Forwarded-For"))
                                        .put("x-request-id", req.getHeader("X-Request-Id"))
                                        .put("x-demo-group", req.getHeader("X-Demo-Group"))
                                        .put("bodyBytes", body.length());
                                req.response()
                                    .putHeader("Content-Type", "application/json")
                                    .end(reply.encode() + "\n");
                              }));
      servers.add(server);
      // a busy port names the demo service and its address
      fs.add(
          server
              .listen(s.port(), "127.0.0.1")
              .recover(
                  e ->
                      Future.failedFuture(
                          ListenException.isListenFailure(e)
                              ? new ListenException(
                                  "demo upstream " + s.instance(), "127.0.0.1:" + s.port(), null, e)
                              : e)));
    }
    return Future.all(fs).mapEmpty();
  }

  Future<Void> stop() {
    return Future.join(servers.stream().map(HttpServer::close).toList()).mapEmpty();
  }
}
