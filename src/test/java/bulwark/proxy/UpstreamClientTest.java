package bulwark.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.upstream.target.Target;
import bulwark.upstream.target.TargetState;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The per-target connection stacks of one upstream on one event loop, against a real HTTP server on
 * loopback that counts the connections it accepts.
 */
class UpstreamClientTest {
  Vertx vertx;
  HttpServer server;
  final AtomicInteger accepted = new AtomicInteger();
  final Set<HttpConnection> serverConnections = ConcurrentHashMap.newKeySet();
  Context ctx;
  Target target;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    // without h2c, the server sees each connection when it is accepted, not at its first bytes
    server =
        vertx
            .createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(false))
            .connectionHandler(
                c -> {
                  accepted.incrementAndGet();
                  serverConnections.add(c);
                  c.closeHandler(v -> serverConnections.remove(c));
                })
            .requestHandler(req -> req.response().end("ok"))
            .listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);
    ctx = vertx.getOrCreateContext();
    target =
        new Target(
            "127.0.0.1:" + server.actualPort(),
            "127.0.0.1",
            server.actualPort(),
            false,
            1,
            new TargetState("t"));
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** Runs on the client's event loop, as the proxy does, and waits for the result. */
  <T> T on(Supplier<T> work) throws Exception {
    CompletableFuture<T> f = new CompletableFuture<>();
    ctx.runOnContext(
        v -> {
          try {
            f.complete(work.get());
          } catch (Throwable e) {
            f.completeExceptionally(e);
          }
        });
    return f.get(10, TimeUnit.SECONDS);
  }

  <T> T result(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  UpstreamClient client(int max) throws Exception {
    return client(max, 4096);
  }

  UpstreamClient client(int max, int maxTunnels) throws Exception {
    return on(
        () ->
            new UpstreamClient(
                vertx,
                vertx.httpClientBuilder().with(new HttpClientOptions()).build(),
                max,
                maxTunnels,
                false));
  }

  @Test
  void tunnelsHaveTheirOwnCapAndLeaveThePoolAlone() throws Exception {
    UpstreamClient client = client(1, 2);
    UpstreamClient.Conn t1 = result(on(() -> client.tunnel(target, options(1000))));
    assertThat(on(() -> client.tunnelFree(target))).isTrue();
    UpstreamClient.Conn t2 = result(on(() -> client.tunnel(target, options(1000))));
    assertThat(on(() -> client.tunnelFree(target))).as("two tunnels of two").isFalse();
    // the pool (one connection) is untouched by the tunnels
    UpstreamClient.Conn pooled = result(on(() -> client.connection(target, options(1000))));
    assertThat(get(pooled)).isEqualTo("ok");
    // a tunnel's connection is never pooled: recycling closes it, and its place comes back
    on(
        () -> {
          client.recycle(t1);
          return null;
        });
    await().atMost(Duration.ofSeconds(30)).until(() -> on(() -> client.tunnelFree(target)));
    assertThat(on(() -> client.idle(target))).isNull();
    on(
        () -> {
          client.tunnelClosed(t2);
          client.tunnelClosed(t2); // once only
          return null;
        });
    UpstreamClient.Conn t3 = result(on(() -> client.tunnel(target, options(1000))));
    assertThat(on(() -> client.tunnelFree(target))).as("one tunnel of two").isTrue();
    assertThat(t3).isNotSameAs(t1);
  }

  HttpConnectOptions options(long connectTimeoutMs) {
    return new HttpConnectOptions()
        .setHost("127.0.0.1")
        .setPort(target.port())
        .setServer(target.address())
        .setConnectTimeout(connectTimeoutMs);
  }

  /** One GET on c, returning its body: the connection works. */
  String get(UpstreamClient.Conn c) throws Exception {
    return result(
        on(
            () ->
                c.http
                    .request(
                        new RequestOptions()
                            .setMethod(HttpMethod.GET)
                            .setURI("/x")
                            .setHost("127.0.0.1")
                            .setPort(target.port()))
                    .compose(q -> q.send().compose(r -> r.body()))
                    .map(Object::toString)));
  }

  @Test
  void aRecycledConnectionIsReusedMostRecentFirst() throws Exception {
    UpstreamClient client = client(2);
    UpstreamClient.Conn c1 = result(on(() -> client.connection(target, options(1000))));
    UpstreamClient.Conn c2 = result(on(() -> client.connection(target, options(1000))));
    assertThat(c1).isNotSameAs(c2);
    assertThat(get(c1)).isEqualTo("ok");
    assertThat(get(c2)).isEqualTo("ok");
    on(
        () -> {
          client.recycle(c1);
          client.recycle(c2);
          return null;
        });
    assertThat(on(() -> client.idle(target))).isSameAs(c2);
    assertThat(on(() -> client.idle(target))).isSameAs(c1);
    assertThat(on(() -> client.idle(target))).isNull();
    // both went back and were handed out again: no connection beyond the first two
    on(
        () -> {
          client.recycle(c1);
          return null;
        });
    assertThat(result(on(() -> client.connection(target, options(1000))))).isSameAs(c1);
    assertThat(get(c1)).isEqualTo("ok");
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(accepted).hasValue(2));
  }

  @Test
  void atTheLimitARequestWaitsForTheNextFreedConnection() throws Exception {
    UpstreamClient client = client(1);
    UpstreamClient.Conn c1 = result(on(() -> client.connection(target, options(5000))));
    Future<UpstreamClient.Conn> second = on(() -> client.connection(target, options(5000)));
    Thread.sleep(100);
    assertThat(second.isComplete()).isFalse();
    on(
        () -> {
          client.recycle(c1);
          return null;
        });
    assertThat(result(second)).isSameAs(c1);
    assertThat(get(c1)).isEqualTo("ok");
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(accepted).hasValue(1));
  }

  @Test
  void aWaitLongerThanTheConnectTimeoutFails() throws Exception {
    UpstreamClient client = client(1);
    result(on(() -> client.connection(target, options(200))));
    Future<UpstreamClient.Conn> second = on(() -> client.connection(target, options(200)));
    await().atMost(Duration.ofSeconds(5)).until(second::isComplete);
    assertThat(second.failed()).isTrue();
    assertThat(second.cause())
        .isInstanceOf(TimeoutException.class)
        .hasMessageContaining("was free within 200ms");
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(accepted).hasValue(1));
  }

  @Test
  void aDiscardedConnectionIsClosedAndItsSlotGoesToAWaiter() throws Exception {
    UpstreamClient client = client(1);
    UpstreamClient.Conn c1 = result(on(() -> client.connection(target, options(5000))));
    Future<UpstreamClient.Conn> second = on(() -> client.connection(target, options(5000)));
    on(
        () -> {
          UpstreamClient.discard(c1);
          return null;
        });
    UpstreamClient.Conn c2 = result(second);
    assertThat(c2).isNotSameAs(c1);
    assertThat(get(c2)).isEqualTo("ok");
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(accepted).hasValue(2));
    await().atMost(Duration.ofSeconds(5)).until(() -> serverConnections.size() == 1);
  }

  @Test
  void aConnectionTheUpstreamClosedIsNotReused() throws Exception {
    UpstreamClient client = client(4);
    UpstreamClient.Conn c1 = result(on(() -> client.connection(target, options(1000))));
    assertThat(get(c1)).isEqualTo("ok");
    on(
        () -> {
          client.recycle(c1);
          return null;
        });
    // the upstream closes its idle keep-alive connection
    serverConnections.forEach(HttpConnection::close);
    await().atMost(Duration.ofSeconds(5)).until(() -> serverConnections.isEmpty());
    await().atMost(Duration.ofSeconds(5)).until(() -> on(() -> client.idle(target)) == null);
    UpstreamClient.Conn c2 = result(on(() -> client.connection(target, options(1000))));
    assertThat(c2).isNotSameAs(c1);
    assertThat(get(c2)).isEqualTo("ok");
    // a recycle that comes after the close does not bring it back either
    on(
        () -> {
          client.recycle(c1);
          return null;
        });
    assertThat(on(() -> client.idle(target))).isNull();
  }

  @Test
  void closingFailsWaitersAndClosesIdleConnections() throws Exception {
    UpstreamClient client = client(1);
    UpstreamClient.Conn c1 = result(on(() -> client.connection(target, options(5000))));
    Future<UpstreamClient.Conn> waiting = on(() -> client.connection(target, options(5000)));
    result(on(client::close));
    assertThat(waiting.failed()).isTrue();
    on(
        () -> {
          client.recycle(c1);
          return null;
        });
    await().atMost(Duration.ofSeconds(5)).until(() -> serverConnections.isEmpty());
    assertThat(on(() -> client.connection(target, options(5000))).failed()).isTrue();
  }
}
