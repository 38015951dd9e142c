package bulwark.it;

import static bulwark.it.ItClients.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Seen;
import bulwark.it.TestSupport.Upstream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The basicAuth middleware through the running gateway, against a real upstream. */
class BasicAuthIT {
  /** bcrypt of "open-sesame", cost 4. */
  static final String FAST = "$2y$04$NsfkbnVaUnloqJu1mxglKuVDB63MBUKHIWGHI9sZcmnb59UidtKDu";

  /** bcrypt of "slowpoke", cost 13: several hundred milliseconds of CPU per check. */
  static final String SLOW = "$2y$13$AoZ7W4NDllj0E35Kk8W.CO/EmV8ZGoU8QZjGc.NdooDldh4pEzhk2";

  static Upstream up;

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

  static String config() {
    return TestSupport.head()
        + """
        upstreams:
          a: { targets: [ { url: %s } ] }
        middlewares:
          basic: { basicAuth: { realm: "ops area", users: { ali: "%s", sloth: "%s" } } }
          nocache: { basicAuth: { cacheFor: 0s, users: { sloth: "%s" } } }
        routes:
          - { name: private, match: { path: /private/** }, upstream: a, middlewares: [basic] }
          - { name: slow, match: { path: /slow/** }, upstream: a, middlewares: [nocache] }
          - { name: public, match: { path: /public/** }, upstream: a }
        """
            .formatted(up.url(), FAST, SLOW, SLOW);
  }

  static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theRightPasswordPassesAndTheAuthorizationHeaderStaysHere() throws Exception {
    try (RunningGateway gw = RunningGateway.start(config())) {
      for (int i = 0; i < 2; i++) { // the second one is served from the verification cache
        HttpResponse<String> r =
            TestSupport.get(gw.url("/private/x"), "Authorization", basic("ali", "open-sesame"));
        assertThat(r.statusCode()).isEqualTo(200);
        Seen seen = up.seen.poll(5, TimeUnit.SECONDS);
        assertThat(seen.headers().contains("Authorization")).isFalse();
      }
    }
  }

  @Test
  void aWrongOrMissingPasswordIs401WithTheBasicChallenge() throws Exception {
    try (RunningGateway gw = RunningGateway.start(config())) {
      // a cached success must not let another password through
      assertThat(
              TestSupport.get(gw.url("/private/x"), "Authorization", basic("ali", "open-sesame"))
                  .statusCode())
          .isEqualTo(200);
      for (String[] h :
          new String[][] {
            {},
            {"Authorization", basic("ali", "open-sesamE")},
            {"Authorization", basic("nobody", "open-sesame")},
            {"Authorization", "Basic !!!"},
            {"Authorization", "Bearer abc"},
            {
              "Authorization",
              "Basic " + Base64.getEncoder().encodeToString("ali".getBytes(StandardCharsets.UTF_8))
            }
          }) {
        HttpResponse<String> r = TestSupport.get(gw.url("/private/x"), h);
        assertProblem(r, 401);
        assertThat(r.headers().firstValue("WWW-Authenticate"))
            .hasValue("Basic realm=\"ops area\", charset=\"UTF-8\"");
      }
      up.seen.poll(5, TimeUnit.SECONDS);
      assertThat(up.seen).isEmpty();
    }
  }

  /**
   * While bcrypt checks run (one per event loop and more), plain requests are still served: the
   * checks are on worker threads. Were they on the event loops, every loop would be stuck and the
   * plain requests would wait for the checks to end.
   */
  @Test
  void bcryptChecksDoNotBlockTheEventLoops() throws Exception {
    try (RunningGateway gw = RunningGateway.start(config())) {
      int slowCount = 2 * Math.max(1, Runtime.getRuntime().availableProcessors());
      List<CompletableFuture<HttpResponse<String>>> slow = new ArrayList<>();
      for (int i = 0; i < slowCount; i++) {
        // a fresh connection each, so they spread over the event loops
        java.net.http.HttpClient c =
            java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1)
                .build();
        slow.add(
            c.sendAsync(
                HttpRequest.newBuilder(URI.create(gw.url("/slow/" + i)))
                    .timeout(Duration.ofSeconds(60))
                    .header("Authorization", basic("sloth", "slowpoke"))
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      Thread.sleep(50);
      for (int i = 0; i < 2 * slowCount; i++) {
        java.net.http.HttpClient c =
            java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1)
                .build();
        HttpResponse<String> r =
            c.send(
                HttpRequest.newBuilder(URI.create(gw.url("/public/" + i)))
                    .timeout(Duration.ofSeconds(60))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
      }
      long pending = slow.stream().filter(f -> !f.isDone()).count();
      assertThat(pending)
          .as("bcrypt checks still running after the plain requests were served")
          .isGreaterThan(0);
      for (var f : slow) assertThat(f.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
  }
}
