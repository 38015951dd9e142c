package bulwark.chaos;

import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;

/**
 * A tiny upstream run as its own process by the chaos suite, so that it can really be killed
 * (SIGKILL) or made to hang (SIGSTOP). Answers every path with a small JSON body, /health included.
 * Args: port name. Prints "ready" once listening.
 */
public final class ChaosUpstream {
  private ChaosUpstream() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    String name = args[1];
    Vertx vertx = Vertx.vertx();
    String body = "{\"upstream\":\"" + name + "\",\"status\":\"UP\"}";
    vertx
        .createHttpServer()
        .requestHandler(
            req -> req.response().putHeader("Content-Type", "application/json").end(body))
        .listen(port, "127.0.0.1")
        .await(10, TimeUnit.SECONDS);
    System.out.println("ready");
    System.out.flush();
    Thread.currentThread().join();
  }
}
