import bulwark.transport.DeferredFlush;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.util.ArrayDeque;

/**
 * The floor of Bulwark's stack, for the benchmark: the plainest reverse proxy Vert.x core makes,
 * with the same server and client options as Bulwark's data plane (native epoll, keep-alive, no
 * compression, strict thread mode) and nothing else: no routing, no header rules, no request id, no
 * timeouts, no access log, no smuggling guard. The request and response heads are passed as they
 * are and the bodies piped. Like Bulwark (since 11e83b3), it keeps its upstream connections itself,
 * a stack of idle ones per event loop from {@code HttpClientAgent.connect}, rather than through
 * Vert.x's pooled client. Like Bulwark (since the session of 2 December), both sides' flushes wait
 * for the end of the event loop's batch ({@code bulwark.transport.DeferredFlush}). Run by
 * bench/run.sh on the fat jar's class path:
 *
 * <pre>java -cp target/bulwark.jar bench/VertxPipe.java LISTEN_PORT UPSTREAM_PORT</pre>
 */
public class VertxPipe {
  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    int up = Integer.parseInt(args[1]);
    int loops = Math.max(1, Runtime.getRuntime().availableProcessors());
    Vertx vertx =
        Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(loops));
    if (!vertx.isNativeTransportEnabled())
      throw new IllegalStateException(
          "no native transport", vertx.unavailableNativeTransportCause());
    HttpConnectOptions connect =
        new HttpConnectOptions()
            .setServer(SocketAddress.inetSocketAddress(up, "127.0.0.1"))
            .setHost("127.0.0.1")
            .setPort(up);
    for (int i = 0; i < loops; i++) {
      // one client and one idle stack per server, i.e. per event loop
      HttpClientAgent client =
          vertx
              .httpClientBuilder()
              .with(
                  new HttpClientOptions()
                      .setKeepAlive(true)
                      .setTcpNoDelay(true)
                      .setDecompressionSupported(false))
              .build();
      ArrayDeque<HttpClientConnection> idle = new ArrayDeque<>();
      vertx
          .createHttpServer(
              new HttpServerOptions()
                  .setHost("127.0.0.1")
                  .setPort(port)
                  .setTcpNoDelay(true)
                  .setReuseAddress(true)
                  .setCompressionSupported(false)
                  .setDecompressionSupported(false)
                  .setStrictThreadMode(true))
          // Bulwark installs it from its transport; here, on the connection's first request
          .connectionHandler(DeferredFlush::install)
          .requestHandler(
              req -> {
                req.pause();
                var resp = req.response();
                HttpClientConnection c = idle.pollFirst();
                (c != null
                        ? Future.succeededFuture(c)
                        : client
                            .connect(connect)
                            .andThen(
                                ar -> {
                                  // a connection the upstream closes leaves the stack
                                  if (ar.succeeded()) {
                                    ar.result().closeHandler(v -> idle.remove(ar.result()));
                                    DeferredFlush.install(ar.result());
                                  }
                                }))
                    .onComplete(
                        car -> {
                          if (car.failed()) {
                            resp.setStatusCode(502).end();
                            return;
                          }
                          HttpClientConnection conn = car.result();
                          conn.request(
                                  new RequestOptions()
                                      .setMethod(req.method())
                                      .setURI(req.uri())
                                      .setHeaders(req.headers()))
                              .compose(creq -> creq.send(req))
                              .onComplete(
                                  ar -> {
                                    if (ar.failed()) {
                                      conn.close();
                                      resp.setStatusCode(502).end();
                                      return;
                                    }
                                    var cresp = ar.result();
                                    resp.setStatusCode(cresp.statusCode());
                                    resp.headers().addAll(cresp.headers());
                                    resp.send(cresp)
                                        .onComplete(
                                            x -> {
                                              if (x.succeeded()) idle.addFirst(conn);
                                              else conn.close();
                                            });
                                  });
                        });
              })
          .listen()
          .await();
    }
    System.out.println(
        "vertx-pipe listening on 127.0.0.1:" + port + ", " + loops + " event loop(s)");
  }
}
