package bulwark.it;

import static bulwark.it.ItClients.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import bulwark.it.ItClients.RawResponse;
import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Seen;
import bulwark.it.TestSupport.Upstream;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The routing matrix through the real gateway. Routes tag themselves with a rewrite ({@code
 * /p/exact} reaches the upstream as {@code /exact}) so the upstream's echo of the URI tells which
 * route won.
 */
class RoutingIT {
  static Upstream a;
  static Upstream b;
  static RunningGateway gw;

  @BeforeAll
  static void start() throws Exception {
    a = new Upstream("a");
    b = new Upstream("b");
    gw =
        RunningGateway.start(
            TestSupport.head()
                + """
        upstreams:
          a: { targets: [ { url: %s } ] }
          b: { targets: [ { url: %s } ] }
        middlewares:
          tag-outer:
            headers:
              request: { set: { X-Outer: outer } }
              response: { set: { X-Served-By: bulwark-it } }
          tag-inner:
            headers:
              request: { set: { X-Inner: inner } }
        versioning: { vendor: acme, default: v1 }
        routes:
          # declared least specific first: precedence must not come from declaration order
          - { name: p-dstar, match: { path: /p/** }, upstream: a, rewrite: /dstar }
          - { name: p-star-s, match: { path: /p/*/s }, upstream: a, rewrite: /star-s }
          - { name: p-star, match: { path: /p/* }, upstream: a, rewrite: /star }
          - { name: p-param, match: { path: "/p/{id}" }, upstream: a, rewrite: "/param/{id}" }
          - { name: p-exact, match: { path: /p/exact }, upstream: a, rewrite: /exact }

          - { name: h-none, match: { path: /h/** }, upstream: a, rewrite: /host-none }
          - { name: h-exact, match: { path: /h/**, host: api.example.com }, upstream: a, rewrite: /host-exact }
          - { name: h-wild, match: { path: /h/**, host: "*.example.com" }, upstream: a, rewrite: /host-wild }

          - { name: m, match: { path: /m, methods: [GET, POST] }, upstream: a }
          - { name: m-put, match: { path: /m, methods: [PUT] }, upstream: b }

          - { name: hd-exact, match: { path: /hd, headers: { X-Tenant: acme } }, upstream: a, rewrite: /hd-exact }
          - { name: hd-regex, match: { path: /hd, headers: { X-Tenant: "regex:t-[0-9]+" } }, upstream: a, rewrite: /hd-regex }
          - { name: hd-none, match: { path: /hd }, upstream: a, rewrite: /hd-none }

          - { name: qp-debug, match: { path: /qp, query: { debug: "1" } }, upstream: a, rewrite: /qp-debug }
          - { name: qp-regex, match: { path: /qp, query: { page: "regex:[0-9]+" } }, upstream: a, rewrite: /qp-page }
          - { name: qp-none, match: { path: /qp }, upstream: a, rewrite: /qp-none }

          - { name: users-v1, match: { path: /users/** }, version: v1, upstream: a }
          - { name: users-v2, match: { path: /users/** }, version: v2, upstream: b }
          - { name: vm-v1, match: { path: /vm/**, methods: [POST] }, version: v1, upstream: a }
          - { name: vm-v2, match: { path: /vm/**, methods: [GET] }, version: v2, upstream: b }
        groups:
          - prefix: /api/v1
            stripPrefix: true
            middlewares: [tag-outer]
            routes:
              - { name: orders-v1, match: { path: /orders/** }, upstream: a }
            groups:
              - prefix: /admin
                middlewares: [tag-inner]
                routes:
                  - { name: admin-users, match: { path: "/users/{id}" }, upstream: a }
          - prefix: /api/v2
            routes:
              - { name: orders-v2, match: { path: "/orders/{id}" }, upstream: b, rewrite: "/v2/orders/{id}" }
        """
                    .formatted(a.url(), b.url()));
  }

  @AfterAll
  static void stop() {
    if (gw != null) gw.close();
    if (a != null) a.close();
    if (b != null) b.close();
  }

  @BeforeEach
  void clearSeen() {
    a.seen.clear();
    b.seen.clear();
  }

  private static JsonObject ok(String path, String... headers) throws Exception {
    HttpResponse<String> r = TestSupport.get(gw.url(path), headers);
    assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  private static String uri(String path, String... headers) throws Exception {
    return ok(path, headers).getString("uri");
  }

  private static JsonObject okWithHost(String path, String host) throws Exception {
    RawResponse r =
        ItClients.raw(gw.port, "GET " + path + " HTTP/1.1", "Host: " + host, "Connection: close");
    assertThat(r.status()).as("GET %s Host %s: %s", path, host, r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  private static Seen lastSeen(Upstream up) throws InterruptedException {
    Seen s = up.seen.poll(5, TimeUnit.SECONDS);
    assertThat(s).as("request seen by upstream %s", up.name).isNotNull();
    return s;
  }

  @Test
  void pathPrecedenceExactThenParamThenStarThenDoubleStar() throws Exception {
    assertThat(uri("/p/exact")).isEqualTo("/exact");
    assertThat(uri("/p/42")).isEqualTo("/param/42");
    assertThat(uri("/p/42/s")).isEqualTo("/star-s");
    assertThat(uri("/p/42/t")).isEqualTo("/dstar");
    assertThat(uri("/p/a/b/c")).isEqualTo("/dstar");
    assertThat(uri("/p/exact/s")).isEqualTo("/star-s");
  }

  @Test
  void hostExactWildcardAndNone() throws Exception {
    assertThat(okWithHost("/h/1", "api.example.com").getString("uri")).isEqualTo("/host-exact");
    assertThat(okWithHost("/h/1", "API.Example.COM:8443").getString("uri"))
        .isEqualTo("/host-exact");
    assertThat(okWithHost("/h/1", "shop.example.com").getString("uri")).isEqualTo("/host-wild");
    assertThat(okWithHost("/h/1", "a.b.example.com").getString("uri")).isEqualTo("/host-wild");
    assertThat(okWithHost("/h/1", "example.com").getString("uri")).isEqualTo("/host-none");
    assertThat(okWithHost("/h/1", "example.org").getString("uri")).isEqualTo("/host-none");
  }

  @Test
  void methodsAnd405WithAllow() throws Exception {
    assertThat(TestSupport.send("POST", gw.url("/m"), "x").body()).contains("\"upstream\":\"a\"");
    assertThat(TestSupport.send("PUT", gw.url("/m"), "x").body()).contains("\"upstream\":\"b\"");
    a.seen.clear();
    b.seen.clear();
    HttpResponse<String> r = TestSupport.send("DELETE", gw.url("/m"), null);
    JsonObject p = assertProblem(r, 405);
    assertThat(r.headers().firstValue("Allow")).hasValue("GET, HEAD, POST, PUT");
    assertThat(p.getString("detail")).contains("DELETE");
    assertThat(a.seen).isEmpty();
    assertThat(b.seen).isEmpty();
  }

  @Test
  void headerPredicatesExactAndRegex() throws Exception {
    assertThat(uri("/hd", "X-Tenant", "acme")).isEqualTo("/hd-exact");
    assertThat(uri("/hd", "X-Tenant", "t-42")).isEqualTo("/hd-regex");
    assertThat(uri("/hd", "X-Tenant", "t-42x"))
        .as("regex matches the whole value")
        .isEqualTo("/hd-none");
    assertThat(uri("/hd", "X-Tenant", "ACME")).isEqualTo("/hd-none");
    assertThat(uri("/hd")).isEqualTo("/hd-none");
  }

  @Test
  void queryPredicates() throws Exception {
    assertThat(uri("/qp?debug=1")).isEqualTo("/qp-debug?debug=1");
    assertThat(uri("/qp?x=y&debug=1")).isEqualTo("/qp-debug?x=y&debug=1");
    assertThat(uri("/qp?page=12")).isEqualTo("/qp-page?page=12");
    assertThat(uri("/qp?page=12a")).isEqualTo("/qp-none?page=12a");
    assertThat(uri("/qp?debug=0")).isEqualTo("/qp-none?debug=0");
    assertThat(uri("/qp")).isEqualTo("/qp-none");
  }

  @Test
  void groupsStripPrefixAndGroupMiddlewares() throws Exception {
    HttpResponse<String> r = TestSupport.get(gw.url("/api/v1/orders/7?x=1"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getString("uri")).isEqualTo("/orders/7?x=1");
    assertThat(r.headers().firstValue("X-Served-By")).hasValue("bulwark-it");
    Seen s = lastSeen(a);
    assertThat(s.uri()).isEqualTo("/orders/7?x=1");
    assertThat(s.headers().get("X-Outer")).isEqualTo("outer");
    assertThat(s.headers().get("X-Inner")).isNull();
  }

  @Test
  void nestedGroupInheritsPrefixStripAndMiddlewares() throws Exception {
    HttpResponse<String> r = TestSupport.get(gw.url("/api/v1/admin/users/5"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("X-Served-By")).hasValue("bulwark-it");
    Seen s = lastSeen(a);
    assertThat(s.uri()).isEqualTo("/admin/users/5");
    assertThat(s.headers().get("X-Outer")).isEqualTo("outer");
    assertThat(s.headers().get("X-Inner")).isEqualTo("inner");
    // the nested route's pattern is the full prefix: without it, nothing matches
    assertProblem(TestSupport.get(gw.url("/admin/users/5")), 404);
  }

  @Test
  void versioningByPathAndRewriteWithParamKeepsQuery() throws Exception {
    JsonObject v1 = ok("/api/v1/orders/7");
    assertThat(v1.getString("upstream")).isEqualTo("a");
    assertThat(v1.getString("uri")).isEqualTo("/orders/7");
    HttpResponse<String> r = TestSupport.get(gw.url("/api/v2/orders/7?expand=items"));
    assertThat(r.statusCode()).isEqualTo(200);
    JsonObject v2 = new JsonObject(r.body());
    assertThat(v2.getString("upstream")).isEqualTo("b");
    assertThat(v2.getString("uri")).isEqualTo("/v2/orders/7?expand=items");
    assertThat(r.headers().firstValue("X-Served-By"))
        .as("the v2 group has no middleware")
        .isEmpty();
  }

  @Test
  void versioningByAcceptHeader() throws Exception {
    assertThat(ok("/users/1").getString("upstream")).as("default version").isEqualTo("a");
    assertThat(ok("/users/1", "Accept", "application/json").getString("upstream")).isEqualTo("a");
    assertThat(ok("/users/1", "Accept", "application/vnd.acme.v1+json").getString("upstream"))
        .isEqualTo("a");
    assertThat(ok("/users/1", "Accept", "application/vnd.acme.v2+json").getString("upstream"))
        .isEqualTo("b");
    assertThat(
            ok("/users/1", "Accept", "text/html, application/vnd.acme.v2+json;q=0.9")
                .getString("upstream"))
        .isEqualTo("b");
    HttpResponse<String> r =
        TestSupport.get(gw.url("/users/1"), "Accept", "application/vnd.acme.v9+json");
    JsonObject p = assertProblem(r, 406);
    assertThat(p.getJsonArray("availableVersions")).isEqualTo(new JsonArray().add("v1").add("v2"));
    assertThat(p.getString("detail")).contains("v9").contains("v1").contains("v2");
  }

  @Test
  void versionThatExistsWithAnotherMethodIs405NotA406() throws Exception {
    String v1 = "application/vnd.acme.v1+json";
    String v2 = "application/vnd.acme.v2+json";
    assertThat(TestSupport.send("POST", gw.url("/vm/1"), "x", "Accept", v1).body())
        .contains("\"upstream\":\"a\"");
    assertThat(ok("/vm/1", "Accept", v2).getString("upstream")).isEqualTo("b");
    // v1 exists (the default) but only for POST: 405 listing v1's methods only
    HttpResponse<String> get = TestSupport.get(gw.url("/vm/1"));
    assertProblem(get, 405);
    assertThat(get.headers().firstValue("Allow")).hasValue("POST");
    // v2 exists but only for GET
    HttpResponse<String> post = TestSupport.send("POST", gw.url("/vm/1"), "x", "Accept", v2);
    assertProblem(post, 405);
    assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
    HttpResponse<String> del = TestSupport.send("DELETE", gw.url("/vm/1"), null);
    assertProblem(del, 405);
    assertThat(del.headers().firstValue("Allow")).hasValue("POST");
    // a version that does not exist at all is still 406, whatever the method
    JsonObject p =
        assertProblem(
            TestSupport.send(
                "DELETE", gw.url("/vm/1"), null, "Accept", "application/vnd.acme.v9+json"),
            406);
    assertThat(p.getJsonArray("availableVersions")).isEqualTo(new JsonArray().add("v1").add("v2"));
  }

  @Test
  void noMatchIs404Problem() throws Exception {
    JsonObject p = assertProblem(TestSupport.get(gw.url("/nothing/here")), 404);
    assertThat(p.getString("detail")).contains("/nothing/here");
    assertThat(a.seen).isEmpty();
    assertThat(b.seen).isEmpty();
  }

  @Test
  void adminPathsAreOnlyOnTheAdminPort() throws Exception {
    for (String path : List.of("/routes", "/health/ready", "/health/live")) {
      assertProblem(TestSupport.get(gw.url(path)), 404);
    }
    HttpResponse<String> ready = TestSupport.get(gw.adminUrl("/health/ready"));
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(ready.body()).getString("status")).isEqualTo("UP");

    HttpResponse<String> routes = TestSupport.get(gw.adminUrl("/routes"));
    assertThat(routes.statusCode()).isEqualTo(200);
    JsonArray arr = new JsonObject(routes.body()).getJsonArray("routes");
    List<String> names =
        arr.stream().map(o -> ((JsonObject) o).getString("name")).collect(Collectors.toList());
    assertThat(names)
        .hasSize(23)
        .contains("p-exact", "h-wild", "orders-v1", "admin-users", "orders-v2", "users-v2");
    JsonObject admin =
        arr.stream()
            .map(o -> (JsonObject) o)
            .filter(o -> o.getString("name").equals("admin-users"))
            .findFirst()
            .orElseThrow();
    assertThat(admin.getString("path")).isEqualTo("/api/v1/admin/users/{id}");
    assertThat(admin.getString("stripPrefix")).isEqualTo("/api/v1");
    assertThat(admin.getJsonArray("middlewares"))
        .isEqualTo(new JsonArray().add("tag-outer").add("tag-inner"));
    JsonObject wild =
        arr.stream()
            .map(o -> (JsonObject) o)
            .filter(o -> o.getString("name").equals("h-wild"))
            .findFirst()
            .orElseThrow();
    assertThat(wild.getString("host")).isEqualTo("*.example.com");
    assertThat(a.seen).isEmpty();
  }
}
