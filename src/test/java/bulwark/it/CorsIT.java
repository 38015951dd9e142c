package bulwark.it;

import static bulwark.it.ItClients.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The cors middleware through the running gateway, against a real upstream. */
class CorsIT {
  static Upstream up;

  @BeforeAll
  static void startUpstream() {
    // an upstream with a CORS policy of its own, which the gateway's replaces
    up =
        new Upstream(
            "a",
            req ->
                req.response()
                    .putHeader("Access-Control-Allow-Origin", "*")
                    .putHeader("X-Total", "3")
                    .end("ok"));
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
          cors:
            cors:
              allowOrigins: ["https://app.example.com", "https://*.example.org"]
              allowMethods: [GET, POST, DELETE]
              allowHeaders: [Content-Type, Authorization]
              exposeHeaders: [X-Total]
              allowCredentials: true
              maxAge: 5m
          public: { cors: { allowOrigins: ["*"] } }
          keys: { apiKey: { consumers: { a: ["2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"] } } }
        routes:
          - { name: api, match: { path: /api/**, methods: [GET, POST, DELETE] }, upstream: a, middlewares: [cors, keys] }
          - { name: open, match: { path: /open/** }, upstream: a, middlewares: [public] }
          - { name: plain, match: { path: /plain/**, methods: [GET] }, upstream: a }
        """
            .formatted(up.url());
  }

  @Test
  void aPreflightIsAnsweredAtTheGatewayAndNeverReachesTheUpstream() throws Exception {
    try (RunningGateway gw = RunningGateway.start(config())) {
      HttpResponse<String> r =
          TestSupport.send(
              "OPTIONS",
              gw.url("/api/orders"),
              null,
              "Origin",
              "https://app.example.com",
              "Access-Control-Request-Method",
              "DELETE",
              "Access-Control-Request-Headers",
              "content-type, authorization");
      assertThat(r.statusCode()).isEqualTo(204);
      assertThat(r.headers().firstValue("Access-Control-Allow-Origin"))
          .hasValue("https://app.example.com");
      assertThat(r.headers().firstValue("Access-Control-Allow-Credentials")).hasValue("true");
      assertThat(r.headers().firstValue("Access-Control-Allow-Methods"))
          .hasValue("GET, POST, DELETE");
      assertThat(r.headers().firstValue("Access-Control-Allow-Headers"))
          .hasValue("Content-Type, Authorization");
      assertThat(r.headers().firstValue("Access-Control-Max-Age")).hasValue("300");
      assertThat(r.headers().allValues("Vary").toString()).contains("Origin");
      assertThat(r.headers().firstValue("X-Request-Id")).isPresent();
      // a subdomain pattern, and the apiKey middleware after cors does not see the preflight
      HttpResponse<String> sub =
          TestSupport.send(
              "OPTIONS",
              gw.url("/api/orders"),
              null,
              "Origin",
              "https://shop.eu.example.org",
              "Access-Control-Request-Method",
              "GET");
      assertThat(sub.statusCode()).isEqualTo(204);
      assertThat(sub.headers().firstValue("Access-Control-Allow-Origin"))
          .hasValue("https://shop.eu.example.org");
      assertThat(up.seen.poll(300, TimeUnit.MILLISECONDS))
          .as("the upstream saw a preflight")
          .isNull();
    }
  }

  @Test
  void aPreflightFromAnotherOriginOrForAnotherMethodOrHeaderIs403() throws Exception {
    try (RunningGateway gw = RunningGateway.start(config())) {
      HttpResponse<String> origin =
          TestSupport.send(
              "OPTIONS",
              gw.url("/api/orders"),
              null,
              "Origin",
              "https://evil.example.com",
              "Access-Control-Request-Method",
              "GET");
      assertThat(assertProblem(origin, 403).getString("detail"))
          .contains("https://evil.example.com");
      assertThat(origin.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
      assertProblem(
          TestSupport.send(
              "OPTIONS",
              gw.url("/api/orders"),
              null,
              "Origin",
              "https://app.example.com",
              "Access-Control-Request-Method",
              "PUT"),
          403);
      assertProblem(
          TestSupport.send(
              "OPTIONS",
              gw.url("/api/orders"),
              null,
              "Origin",
              "https://app.example.com",
              "Access-Control-Request-Method",
              "GET",
              "Access-Control-Request-Headers",
              "X-Secret"),
          403);
      assertThat(up.seen.poll(300, TimeUnit.MILLISECONDS)).isNull();
    }
  }

  @Test
  void anActualRequestGetsTheGatewaysHeadersInsteadOfTheUpstreams() throws Exception {
    try (RunningGateway gw = RunningGateway.start(config())) {
      HttpResponse<String> r =
          TestSupport.get(
              gw.url("/api/orders"), "Origin", "https://app.example.com", "X-API-Key", "secret");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().allValues("Access-Control-Allow-Origin"))
          .containsExactly("https://app.example.com");
      assertThat(r.headers().firstValue("Access-Control-Allow-Credentials")).hasValue("true");
      assertThat(r.headers().firstValue("Access-Control-Expose-Headers")).hasValue("X-Total");
      assertThat(r.headers().allValues("Vary").toString()).contains("Origin");
      // the gateway's own refusal is readable by the page too
      HttpResponse<String> refused =
          TestSupport.get(gw.url("/api/orders"), "Origin", "https://app.example.com");
      assertProblem(refused, 401);
      assertThat(refused.headers().firstValue("Access-Control-Allow-Origin"))
          .hasValue("https://app.example.com");
      // another origin: no CORS header at all, not even the upstream's *
      HttpResponse<String> other =
          TestSupport.get(
              gw.url("/api/orders"), "Origin", "https://evil.example.com", "X-API-Key", "secret");
      assertThat(other.statusCode()).isEqualTo(200);
      assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }
  }

  @Test
  void aPublicPolicyAnswersStarWithoutCredentials() throws Exception {
    try (RunningGateway gw = RunningGateway.start(config())) {
      HttpResponse<String> r =
          TestSupport.send(
              "OPTIONS",
              gw.url("/open/x"),
              null,
              "Origin",
              "https://any.test",
              "Access-Control-Request-Method",
              "GET");
      assertThat(r.statusCode()).isEqualTo(204);
      assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
      assertThat(r.headers().firstValue("Access-Control-Allow-Credentials")).isEmpty();
      HttpResponse<String> get = TestSupport.get(gw.url("/open/x"), "Origin", "https://any.test");
      assertThat(get.headers().allValues("Access-Control-Allow-Origin")).containsExactly("*");
    }
  }

  @Test
  void optionsThatIsNotAPreflightStaysRefusedOnARouteThatDoesNotListIt() throws Exception {
    try (RunningGateway gw = RunningGateway.start(config())) {
      HttpResponse<String> r = TestSupport.send("OPTIONS", gw.url("/api/orders"), null);
      assertProblem(r, 405);
      assertThat(r.headers().firstValue("Allow")).hasValue("DELETE, GET, HEAD, POST");
      // a route without cors is untouched: OPTIONS is not one of its methods
      assertProblem(
          TestSupport.send(
              "OPTIONS",
              gw.url("/plain/x"),
              null,
              "Origin",
              "https://app.example.com",
              "Access-Control-Request-Method",
              "GET"),
          405);
      assertThat(up.seen.poll(300, TimeUnit.MILLISECONDS)).isNull();
    }
  }
}
