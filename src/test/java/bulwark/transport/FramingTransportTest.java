package bulwark.transport;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.server.ProxyFramingRules;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.transport.Transport;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What the transport puts into a real accepted connection's pipeline, once Vert.x has set it up:
 * the smuggling guard before the HTTP/1.x decoder, and the deferred flush nearest the socket
 * (Vert.x clears a new connection's pipeline, so a handler added at accept would be gone by now).
 */
class FramingTransportTest {
  @Test
  void anAcceptedConnectionKeepsTheDeferredFlushFirstAndTheFramingGuard() throws Exception {
    Transport t =
        Transport.nativeTransport() != null && Transport.nativeTransport().available()
            ? Transport.nativeTransport()
            : Transport.NIO;
    Vertx vertx =
        Vertx.builder()
            .with(new VertxOptions().setEventLoopPoolSize(1))
            .withTransport(FramingTransport.wrap(t, 0, ProxyFramingRules.INSTANCE))
            .build();
    try {
      HttpServer server =
          vertx
              .createHttpServer()
              .requestHandler(
                  req -> {
                    var pipeline = ((ConnectionBase) req.connection()).channel().pipeline();
                    req.response()
                        .end(
                            pipeline.first().getClass().getSimpleName()
                                + " "
                                + (pipeline.get(RequestFraming.NAME) != null));
                  })
              .listen(0, "127.0.0.1")
              .await(10, TimeUnit.SECONDS);
      var client = vertx.createHttpClient();
      String body =
          client
              .request(HttpMethod.GET, server.actualPort(), "127.0.0.1", "/")
              .compose(r -> r.send().compose(resp -> resp.body()))
              .await(10, TimeUnit.SECONDS)
              .toString();
      assertThat(body).isEqualTo("DeferredFlush true");
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
