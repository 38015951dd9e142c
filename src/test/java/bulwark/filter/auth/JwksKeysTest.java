package bulwark.filter.auth;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.testing.MutableClock;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The JWKS cache against a real loopback server, with time driven by a test clock. */
class JwksKeysTest {
  Vertx vertx;
  HttpServer server;
  Context ctx;
  final AtomicBoolean down = new AtomicBoolean();
  final AtomicInteger fetches = new AtomicInteger();
  final AtomicReference<String> body = new AtomicReference<>();
  final MutableClock clock = new MutableClock();
  RSAKey k1;
  RSAKey k2;

  @BeforeEach
  void start() throws Exception {
    k1 = new RSAKeyGenerator(2048).keyID("k1").generate();
    k2 = new RSAKeyGenerator(2048).keyID("k2").generate();
    body.set(new JWKSet(k1.toPublicJWK()).toString());
    vertx = Vertx.vertx();
    server =
        vertx
            .createHttpServer()
            .requestHandler(
                req -> {
                  fetches.incrementAndGet();
                  if (down.get()) req.response().setStatusCode(503).end();
                  else req.response().putHeader("Content-Type", "application/json").end(body.get());
                })
            .listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);
    ctx = vertx.getOrCreateContext();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  JwksKeys keys() {
    return new JwksKeys(
        "http://127.0.0.1:" + server.actualPort() + "/jwks",
        Duration.ofMinutes(5),
        Duration.ofSeconds(10),
        Duration.ofHours(1),
        Duration.ofSeconds(2),
        clock);
  }

  /** keys(kid) called on the event loop, as a filter does; the kids it got, or the failure. */
  Object get(JwksKeys keys, String kid) throws Exception {
    CompletableFuture<Object> out = new CompletableFuture<>();
    ctx.runOnContext(
        v -> {
          Future<List<JWK>> f = keys.keys(kid);
          f.onComplete(
              ar ->
                  out.complete(
                      ar.succeeded()
                          ? ar.result().stream().map(JWK::getKeyID).toList()
                          : ar.cause()));
        });
    return out.get(20, TimeUnit.SECONDS);
  }

  @Test
  void theKeysAreFetchedOnceAndServedFromTheCache() throws Exception {
    JwksKeys keys = keys();
    assertThat(get(keys, "k1")).isEqualTo(List.of("k1"));
    assertThat(get(keys, "k1")).isEqualTo(List.of("k1"));
    assertThat(get(keys, null)).isEqualTo(List.of("k1"));
    assertThat(fetches.get()).isEqualTo(1);
  }

  @Test
  void whenTheEndpointIsDownTheLastGoodKeysServeUntilMaxStale() throws Exception {
    JwksKeys keys = keys();
    assertThat(get(keys, "k1")).isEqualTo(List.of("k1"));
    down.set(true);
    clock.advance(
        Duration.ofMinutes(
            6)); // past refresh: a background fetch fails, the cached keys still serve
    assertThat(get(keys, "k1")).isEqualTo(List.of("k1"));
    clock.advance(Duration.ofMinutes(50));
    assertThat(get(keys, "k1")).isEqualTo(List.of("k1"));
    // the background fetch runs on its own; wait for it to have been tried
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(() -> fetches.get() >= 2);
    clock.advance(Duration.ofMinutes(5)); // 61 minutes after the last good fetch
    assertThat(get(keys, "k1"))
        .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.status).isEqualTo(503));
    down.set(false);
    clock.advance(Duration.ofSeconds(11));
    assertThat(get(keys, "k1")).isEqualTo(List.of("k1"));
  }

  @Test
  void anUnknownKidRefreshesAtOnceButAtMostOncePerMinRefresh() throws Exception {
    JwksKeys keys = keys();
    assertThat(get(keys, "k1")).isEqualTo(List.of("k1"));
    body.set(new JWKSet(List.of(k1.toPublicJWK(), k2.toPublicJWK())).toString());
    assertThat(get(keys, "k2")).isEqualTo(List.of("k1", "k2"));
    assertThat(fetches.get()).isEqualTo(2);
    // unknown kids right after: at most one more fetch, when minRefresh (10s of the real timer) is
    // over
    int before = fetches.get();
    for (int i = 0; i < 3; i++) ctx.runOnContext(v -> keys.keys("nope-" + System.nanoTime()));
    Thread.sleep(300);
    assertThat(fetches.get()).isEqualTo(before);
  }

  @Test
  void anEndpointDownFromTheStartIsAskedAtMostOncePerMinRefresh() throws Exception {
    down.set(true);
    JwksKeys keys = keys();
    for (int i = 0; i < 5; i++) {
      assertThat(get(keys, "k1"))
          .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.status).isEqualTo(503));
    }
    assertThat(fetches.get()).isEqualTo(1);
    down.set(false);
    clock.advance(Duration.ofSeconds(11));
    assertThat(get(keys, "k1")).isEqualTo(List.of("k1"));
    assertThat(fetches.get()).isEqualTo(2);
  }
}
