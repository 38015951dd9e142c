import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;

/**
 * The floor of Bulwark's stack, for the benchmark: the plainest reverse proxy Vert.x core makes,
 * with the same server and client options as Bulwark's data plane (native epoll, keep-alive, no
 * compression, strict thread mode) and nothing else: no routing, no header rules, no request id,
 * no timeouts, no access log, no smuggling guard. The request and response heads are passed as
 * they are and the bodies piped. Run by bench/run.sh on the fat jar's class path:
 *
 * <pre>java -cp target/bulwark.jar bench/VertxPipe.java LISTEN_PORT UPSTREAM_PORT</pre>
 */
public class VertxPipe {
  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    SocketAddress upstream = SocketAddress.inetSocketAddress(Integer.parseInt(args[1]), "127.0.0.1");
    int loops = Math.max(1, Runtime.getRuntime().availableProcessors());
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(loops));
    if (!vertx.isNativeTransportEnabled()) throw new IllegalStateException("no native transport", vertx.unavailableNativeTransportCause());
    HttpClient client = vertx.createHttpClient(
        new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true).setDecompressionSupported(false),
        new PoolOptions().setHttp1MaxSize(64).setEventLoopSize(0));
    for (int i = 0; i < loops; i++) {
      vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port).setTcpNoDelay(true)
              .setReuseAddress(true).setCompressionSupported(false).setDecompressionSupported(false).setStrictThreadMode(true))
          .requestHandler(req -> {
            req.pause();
            var resp = req.response();
            client.request(new RequestOptions().setServer(upstream).setMethod(req.method()).setURI(req.uri())
                    .setHeaders(req.headers()))
                .compose(creq -> creq.send(req))
                .onComplete(ar -> {
                  if (ar.failed()) {
                    resp.setStatusCode(502).end();
                    return;
                  }
                  var cresp = ar.result();
                  resp.setStatusCode(cresp.statusCode());
                  resp.headers().addAll(cresp.headers());
                  resp.send(cresp);
                });
          })
          .listen().await();
    }
    System.out.println("vertx-pipe listening on 127.0.0.1:" + port + ", " + loops + " event loop(s)");
  }
}
