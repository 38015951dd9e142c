package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import io.vertx.core.json.JsonObject;
import java.net.URLDecoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The introspection middleware against a real RFC 7662 endpoint on loopback. */
class IntrospectionIT {
  static final String BASIC =
      "Basic "
          + Base64.getEncoder().encodeToString("gw:s3cr%3Aet".getBytes(StandardCharsets.UTF_8));
  static final Map<String, JsonObject> TOKENS = new ConcurrentHashMap<>();
  static final Map<String, AtomicInteger> CALLS = new ConcurrentHashMap<>();
  static Upstream idp;
  static Upstream up;
  static RunningGateway gw;

  @BeforeAll
  static void start() throws Exception {
    long now = System.currentTimeMillis() / 1000;
    TOKENS.put(
        "user-tok",
        new JsonObject()
            .put("active", true)
            .put("sub", "alice")
            .put("client_id", "web")
            .put("scope", "orders.read")
            .put("exp", now + 300));
    TOKENS.put(
        "user-noscope",
        new JsonObject()
            .put("active", true)
            .put("sub", "bob")
            .put("client_id", "web")
            .put("exp", now + 300));
    TOKENS.put(
        "client-tok",
        new JsonObject()
            .put("active", true)
            .put("sub", "svc")
            .put("client_id", "svc")
            .put("scope", "svc")
            .put("exp", now + 300));
    TOKENS.put(
        "client-nosub",
        new JsonObject()
            .put("active", true)
            .put("client_id", "batch")
            .put("scope", "svc")
            .put("exp", now + 300));
    TOKENS.put("inactive", new JsonObject().put("active", false));
    idp =
        new Upstream(
            "idp",
            req ->
                req.body()
                    .onSuccess(
                        b -> {
                          if (!BASIC.equals(req.getHeader("Authorization"))
                              || req.method() != io.vertx.core.http.HttpMethod.POST
                              || !req.getHeader("Content-Type")
                                  .startsWith("application/x-www-form-urlencoded")) {
                            req.response().setStatusCode(401).end("{\"error\":\"invalid_client\"}");
                            return;
                          }
                          String token = null;
                          for (String kv : b.toString().split("&")) {
                            if (kv.startsWith("token="))
                              token = URLDecoder.decode(kv.substring(6), StandardCharsets.UTF_8);
                          }
                          CALLS
                              .computeIfAbsent(String.valueOf(token), k -> new AtomicInteger())
                              .incrementAndGet();
                          JsonObject answer =
                              TOKENS.getOrDefault(
                                  String.valueOf(token), new JsonObject().put("active", false));
                          req.response()
                              .putHeader("Content-Type", "application/json")
                              .end(answer.encode());
                        }));
    up = new Upstream("a");
    Upstream stopped = new Upstream("gone");
    String gone = stopped.url() + "/introspect";
    stopped.close();
    String idpCfg =
        "endpoint: %s/introspect, clientId: gw, clientSecret: \"s3cr:et\"".formatted(idp.url());
    gw =
        RunningGateway.start(
            TestSupport.head()
                + """
        upstreams:
          a: { targets: [ { url: %s } ] }
        middlewares:
          users: { introspection: { %s, allow: [user], requireScopes: [orders.read], forwardClaims: { sub: X-User-Id } } }
          clients: { introspection: { %s, allow: [client], clientScopes: [svc] } }
          both: { introspection: { %s, userScopes: [orders.read], clientScopes: [svc], forwardClaims: { client_id: X-Client-Id } } }
          open: { introspection: { endpoint: %s, onFailure: open, timeout: 1s, forwardClaims: { sub: X-User-Id } } }
          closed: { introspection: { endpoint: %s, timeout: 1s } }
        routes:
          - { name: u, match: { path: /u/** }, upstream: a, middlewares: [users] }
          - { name: c, match: { path: /c/** }, upstream: a, middlewares: [clients] }
          - { name: b, match: { path: /b/** }, upstream: a, middlewares: [both] }
          - { name: o, match: { path: /o/** }, upstream: a, middlewares: [open] }
          - { name: x, match: { path: /x/** }, upstream: a, middlewares: [closed] }
        """
                    .formatted(up.url(), idpCfg, idpCfg, idpCfg, gone, gone));
  }

  @AfterAll
  static void stop() {
    if (gw != null) gw.close();
    if (idp != null) idp.close();
    if (up != null) up.close();
  }

  static HttpResponse<String> call(String path, String token, String... more) throws Exception {
    String[] h = new String[more.length + 2];
    h[0] = "Authorization";
    h[1] = "Bearer " + token;
    System.arraycopy(more, 0, h, 2, more.length);
    return TestSupport.get(gw.url(path), h);
  }

  @Test
  void anActiveTokenPassesWithClientAuthenticationAndIsCached() throws Exception {
    up.seen.clear();
    assertThat(call("/u/1", "user-tok", "X-User-Id", "mallory").statusCode()).isEqualTo(200);
    assertThat(up.seen.poll().headers().getAll("X-User-Id")).containsExactly("alice");
    for (int i = 0; i < 5; i++) assertThat(call("/u/1", "user-tok").statusCode()).isEqualTo(200);
    assertThat(CALLS.get("user-tok").get()).as("answers are cached").isEqualTo(1);
  }

  @Test
  void anInactiveOrUnknownTokenIs401InvalidToken() throws Exception {
    for (String t : new String[] {"inactive", "never-issued"}) {
      HttpResponse<String> r = call("/u/1", t);
      assertThat(r.statusCode()).isEqualTo(401);
      assertThat(r.headers().firstValue("WWW-Authenticate").orElse(""))
          .contains("error=\"invalid_token\"");
      assertThat(r.headers().firstValue("Content-Type").orElse(""))
          .startsWith("application/problem+json");
    }
    assertThat(call("/u/1", "user-noscope").statusCode()).isEqualTo(403);
  }

  @Test
  void theCacheNeverOutlivesTheTokensExp() throws Exception {
    long exp = System.currentTimeMillis() / 1000 + 2;
    TOKENS.put(
        "short",
        new JsonObject()
            .put("active", true)
            .put("sub", "carol")
            .put("client_id", "web")
            .put("scope", "orders.read")
            .put("exp", exp));
    assertThat(call("/u/1", "short").statusCode()).isEqualTo(200);
    assertThat(call("/u/1", "short").statusCode()).isEqualTo(200);
    assertThat(CALLS.get("short").get()).isEqualTo(1);
    while (System.currentTimeMillis() < exp * 1000 + 100) Thread.sleep(50);
    HttpResponse<String> r = call("/u/1", "short");
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(CALLS.get("short").get())
        .as("asked again once exp passed, not kept for cacheTtl")
        .isEqualTo(2);
  }

  @Test
  void userAndClientTokensAreToldApartPerRoute() throws Exception {
    assertThat(call("/c/1", "user-tok").statusCode())
        .as("a user token on a client route")
        .isEqualTo(403);
    assertThat(call("/c/1", "client-tok").statusCode()).isEqualTo(200);
    assertThat(call("/c/1", "client-nosub").statusCode()).isEqualTo(200);
    assertThat(call("/u/1", "client-tok").statusCode())
        .as("a client token on a user route")
        .isEqualTo(403);
    up.seen.clear();
    assertThat(call("/b/1", "user-tok").statusCode()).isEqualTo(200);
    assertThat(call("/b/1", "client-tok").statusCode()).isEqualTo(200);
    assertThat(up.seen.stream().map(s -> s.headers().get("X-Client-Id")).toList())
        .containsExactly("web", "svc");
    assertThat(call("/b/1", "user-noscope").statusCode()).isEqualTo(403);
  }

  @Test
  void aStoppedEndpointFailsClosedByDefaultAndOpenWhenConfigured() throws Exception {
    HttpResponse<String> closed = call("/x/1", "user-tok");
    assertThat(closed.statusCode()).isEqualTo(503);
    assertThat(closed.headers().firstValue("Content-Type").orElse(""))
        .startsWith("application/problem+json");
    up.seen.clear();
    HttpResponse<String> open = call("/o/1", "user-tok", "X-User-Id", "mallory");
    assertThat(open.statusCode()).isEqualTo(200);
    assertThat(up.seen.poll().headers().contains("X-User-Id"))
        .as("no identity, and the spoofed header removed")
        .isFalse();
    assertThat(TestSupport.get(gw.url("/o/1")).statusCode())
        .as("no token at all is still 401")
        .isEqualTo(401);
  }
}
