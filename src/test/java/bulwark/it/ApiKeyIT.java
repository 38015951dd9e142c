package bulwark.it;

import static bulwark.it.ItClients.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Seen;
import bulwark.it.TestSupport.Upstream;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The apiKey middleware through the running gateway, against a real upstream. */
class ApiKeyIT {
  /** printf %s alice-key-1 | sha256sum, and the same for bob-key-1. */
  static final String ALICE = "alice-key-1";

  static final String BOB = "bob-key-1";
  static Upstream up;

  @TempDir Path dir;

  @BeforeAll
  static void startUpstream() {
    up = new Upstream("a");
  }

  @AfterAll
  static void stopUpstream() {
    if (up != null) up.close();
  }

  @BeforeEach
  void clearSeen() {
    up.seen.clear();
  }

  static String sha256(String s) throws Exception {
    return java.util.HexFormat.of()
        .formatHex(
            java.security.MessageDigest.getInstance("SHA-256")
                .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  private String config(Path accessLog) throws Exception {
    return TestSupport.head(accessLog)
        + """
        upstreams:
          a: { targets: [ { url: %s } ] }
        middlewares:
          keys: { apiKey: { query: api_key, consumers: { alice: ["%s"], bob: ["%s"] } } }
          perConsumer: { rateLimit: { key: consumer, rate: 2/min } }
          keepKeys: { apiKey: { keepCredential: true, consumers: { alice: ["%s"] } } }
        routes:
          - { name: api, match: { path: /api/** }, upstream: a, middlewares: [keys] }
          - { name: limited, match: { path: /limited/** }, upstream: a, middlewares: [keys, perConsumer] }
          - { name: kept, match: { path: /kept/** }, upstream: a, middlewares: [keepKeys] }
        """
            .formatted(up.url(), sha256(ALICE), sha256(BOB), sha256(ALICE));
  }

  @Test
  void aValidKeyInTheHeaderPassesAndIsStrippedBeforeTheUpstream() throws Exception {
    Path log = dir.resolve("access.log");
    try (RunningGateway gw = RunningGateway.start(config(log))) {
      HttpResponse<String> r =
          TestSupport.get(gw.url("/api/x"), "X-API-Key", ALICE, "X-Request-Id", "key-ok-1");
      assertThat(r.statusCode()).isEqualTo(200);
      Seen seen = up.seen.poll(5, TimeUnit.SECONDS);
      assertThat(seen).isNotNull();
      assertThat(seen.headers().contains("X-API-Key"))
          .as("the key must not reach the upstream")
          .isFalse();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  lines(log).stream()
                      .anyMatch(j -> "key-ok-1".equals(j.getString("http.request.id"))));
      JsonObject line =
          lines(log).stream()
              .filter(j -> "key-ok-1".equals(j.getString("http.request.id")))
              .findFirst()
              .orElseThrow();
      assertThat(line.getString("user.name")).isEqualTo("alice");
    }
  }

  @Test
  void aValidKeyInTheQueryPassesAndIsRemovedFromTheUpstreamUri() throws Exception {
    try (RunningGateway gw = RunningGateway.start(config(dir.resolve("access.log")))) {
      HttpResponse<String> r = TestSupport.get(gw.url("/api/x?a=1&api_key=" + BOB + "&b=2"));
      assertThat(r.statusCode()).isEqualTo(200);
      Seen seen = up.seen.poll(5, TimeUnit.SECONDS);
      assertThat(seen.uri()).isEqualTo("/api/x?a=1&b=2");
    }
  }

  @Test
  void aMissingOrWrongKeyIs401ProblemWithTheApiKeyChallenge() throws Exception {
    Path log = dir.resolve("access.log");
    try (RunningGateway gw = RunningGateway.start(config(log))) {
      HttpResponse<String> missing =
          TestSupport.get(gw.url("/api/x"), "X-Request-Id", "key-missing-1");
      JsonObject p = assertProblem(missing, 401);
      assertThat(p.getString("detail")).contains("X-API-Key").contains("api_key");
      assertThat(missing.headers().firstValue("WWW-Authenticate")).hasValue("ApiKey");

      HttpResponse<String> wrong = TestSupport.get(gw.url("/api/x"), "X-API-Key", ALICE + "x");
      assertProblem(wrong, 401);
      assertThat(wrong.headers().firstValue("WWW-Authenticate").orElseThrow()).startsWith("ApiKey");
      // the stored hash itself is not a key
      assertProblem(TestSupport.get(gw.url("/api/x"), "X-API-Key", sha256(ALICE)), 401);
      assertProblem(TestSupport.get(gw.url("/api/x?api_key=nope")), 401);
      assertThat(up.seen).isEmpty();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  lines(log).stream()
                      .anyMatch(j -> "key-missing-1".equals(j.getString("http.request.id"))));
      JsonObject line =
          lines(log).stream()
              .filter(j -> "key-missing-1".equals(j.getString("http.request.id")))
              .findFirst()
              .orElseThrow();
      assertThat(line.getInteger("http.response.status_code")).isEqualTo(401);
      assertThat(line.containsKey("user.name")).isFalse();
    }
  }

  @Test
  void twoConsumersHaveTheirOwnBucketsWhateverTheirAddress() throws Exception {
    try (RunningGateway gw = RunningGateway.start(config(dir.resolve("access.log")))) {
      assertThat(TestSupport.get(gw.url("/limited/1"), "X-API-Key", ALICE).statusCode())
          .isEqualTo(200);
      assertThat(TestSupport.get(gw.url("/limited/2"), "X-API-Key", ALICE).statusCode())
          .isEqualTo(200);
      assertProblem(TestSupport.get(gw.url("/limited/3"), "X-API-Key", ALICE), 429);
      // same client IP, another consumer: a fresh bucket
      assertThat(TestSupport.get(gw.url("/limited/4"), "X-API-Key", BOB).statusCode())
          .isEqualTo(200);
      assertThat(TestSupport.get(gw.url("/limited/5?api_key=" + BOB)).statusCode()).isEqualTo(200);
      assertProblem(TestSupport.get(gw.url("/limited/6"), "X-API-Key", BOB), 429);
    }
  }

  @Test
  void keepCredentialSendsTheKeyOn() throws Exception {
    try (RunningGateway gw = RunningGateway.start(config(dir.resolve("access.log")))) {
      assertThat(TestSupport.get(gw.url("/kept/1"), "X-API-Key", ALICE).statusCode())
          .isEqualTo(200);
      assertThat(up.seen.poll(5, TimeUnit.SECONDS).headers().get("X-API-Key")).isEqualTo(ALICE);
    }
  }

  static List<JsonObject> lines(Path file) throws Exception {
    if (!Files.exists(file)) return List.of();
    return Files.readAllLines(file).stream()
        .filter(l -> !l.isBlank())
        .map(JsonObject::new)
        .toList();
  }
}
