package bulwark.routing;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.BulwarkConfig;
import bulwark.config.ConfigLoader;
import bulwark.upstream.target.TargetStates;
import io.vertx.core.MultiMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouteTableTest {
  private static RouteTable table(String routesYaml) throws Exception {
    BulwarkConfig cfg =
        new ConfigLoader(k -> null)
            .parse(
                """
        upstreams:
          u: { targets: [ { url: http://127.0.0.1:1 } ] }
        versioning: { vendor: acme, default: v1 }
        """
                    + routesYaml);
    return RouteTableCompiler.compile(cfg, new TargetStates(), Map.of(), 1);
  }

  private static MultiMap headers(String... kv) {
    MultiMap m = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < kv.length; i += 2) m.add(kv[i], kv[i + 1]);
    return m;
  }

  private static String found(
      RouteTable t, String method, String host, String path, MultiMap h, String query) {
    RouteResult r = t.lookup(method, host, path, h, query);
    return r instanceof RouteResult.Found f ? f.route().name() : r.getClass().getSimpleName();
  }

  @Test
  void exactBeatsParamBeatsStarBeatsDoubleStarRegardlessOfDeclarationOrder() throws Exception {
    RouteTable t =
        table(
            """
        routes:
          - { name: rest, match: { path: "/a/**" }, upstream: u }
          - { name: star, match: { path: "/a/*/c" }, upstream: u }
          - { name: param, match: { path: "/a/{x}/c" }, upstream: u }
          - { name: exact, match: { path: "/a/b/c" }, upstream: u }
        """);
    MultiMap h = headers();
    assertThat(found(t, "GET", null, "/a/b/c", h, null)).isEqualTo("exact");
    assertThat(found(t, "GET", null, "/a/z/c", h, null)).isEqualTo("param");
    assertThat(found(t, "GET", null, "/a/z/d", h, null)).isEqualTo("rest");
    assertThat(found(t, "GET", null, "/a", h, null)).isEqualTo("rest");
    assertThat(found(t, "GET", null, "/b", h, null)).isEqualTo("NotFound");
  }

  @Test
  void paramCapturedAndStarNotCaptured() throws Exception {
    RouteTable t =
        table(
            """
        routes:
          - { name: r, match: { path: "/u/{id}/*/{tail}" }, upstream: u }
        """);
    RouteResult r = t.lookup("GET", null, "/u/7/x/z", headers(), null);
    assertThat(r).isInstanceOf(RouteResult.Found.class);
    assertThat(((RouteResult.Found) r).params())
        .containsExactlyInAnyOrderEntriesOf(Map.of("id", "7", "tail", "z"));
  }

  @Test
  void aRouteWithAHostBeatsOneWithoutThenDeclarationOrder() throws Exception {
    RouteTable t =
        table(
            """
        routes:
          - { name: any-first, match: { path: "/p" }, upstream: u }
          - { name: any-second, match: { path: "/p" }, upstream: u }
          - { name: wildcard-host, match: { path: "/p", host: "*.example.com" }, upstream: u }
          - { name: exact-host, match: { path: "/p", host: "api.example.com" }, upstream: u }
        """);
    assertThat(found(t, "GET", "api.example.com", "/p", headers(), null))
        .isEqualTo("wildcard-host");
    assertThat(found(t, "GET", "x.example.com", "/p", headers(), null)).isEqualTo("wildcard-host");
    assertThat(found(t, "GET", "example.com", "/p", headers(), null)).isEqualTo("any-first");
    assertThat(found(t, "GET", "other.org", "/p", headers(), null)).isEqualTo("any-first");
  }

  @Test
  void hostPrecedenceComesAfterPathSpecificity() throws Exception {
    RouteTable t =
        table(
            """
        routes:
          - { name: hosted-param, match: { path: "/p/{x}", host: "api.example.com" }, upstream: u }
          - { name: exact, match: { path: "/p/q" }, upstream: u }
        """);
    assertThat(found(t, "GET", "api.example.com", "/p/q", headers(), null)).isEqualTo("exact");
  }

  @Test
  void methodsHeadersAndQueryPredicates() throws Exception {
    RouteTable t =
        table(
            """
        routes:
          - { name: canary, match: { path: "/s", headers: { X-Env: "regex:can.*" } }, upstream: u }
          - { name: beta, match: { path: "/s", query: { beta: "1" } }, upstream: u }
          - { name: writes, match: { path: "/s", methods: [POST, PUT] }, upstream: u }
          - { name: reads, match: { path: "/s", methods: [GET] }, upstream: u }
        """);
    assertThat(found(t, "GET", null, "/s", headers("X-Env", "canary-7"), null)).isEqualTo("canary");
    assertThat(found(t, "GET", null, "/s", headers("X-Env", "prod"), "beta=1")).isEqualTo("beta");
    assertThat(found(t, "GET", null, "/s", headers(), "beta=2")).isEqualTo("reads");
    assertThat(found(t, "HEAD", null, "/s", headers(), null)).isEqualTo("reads");
    assertThat(found(t, "PUT", null, "/s", headers(), null)).isEqualTo("writes");
  }

  @Test
  void methodMismatchIs405WithEveryAllowedMethod() throws Exception {
    RouteTable t =
        table(
            """
        routes:
          - { name: w, match: { path: "/m", methods: [POST] }, upstream: u }
          - { name: r, match: { path: "/m", methods: [GET] }, upstream: u }
        """);
    RouteResult r = t.lookup("DELETE", null, "/m", headers(), null);
    assertThat(r).isInstanceOf(RouteResult.MethodNotAllowed.class);
    assertThat(((RouteResult.MethodNotAllowed) r).allowed()).containsExactly("GET", "HEAD", "POST");
  }

  @Test
  void versionByAcceptHeaderWithDefaultAnd406() throws Exception {
    RouteTable t =
        table(
            """
        routes:
          - { name: v1, match: { path: "/api/**" }, version: v1, upstream: u }
          - { name: v2, match: { path: "/api/**" }, version: v2, upstream: u }
        """);
    assertThat(found(t, "GET", null, "/api/x", headers(), null)).isEqualTo("v1");
    assertThat(found(t, "GET", null, "/api/x", headers("Accept", "application/json"), null))
        .isEqualTo("v1");
    assertThat(
            found(
                t, "GET", null, "/api/x", headers("Accept", "application/vnd.acme.v2+json"), null))
        .isEqualTo("v2");
    assertThat(
            found(
                t,
                "GET",
                null,
                "/api/x",
                headers("Accept", "text/html, application/vnd.acme.v2+json;q=0.9"),
                null))
        .isEqualTo("v2");
    assertThat(
            found(
                t, "GET", null, "/api/x", headers("Accept", "application/vnd.other.v2+json"), null))
        .isEqualTo("v1");
    RouteResult r =
        t.lookup("GET", null, "/api/x", headers("Accept", "application/vnd.acme.v7+json"), null);
    assertThat(r).isInstanceOf(RouteResult.NotAcceptable.class);
    assertThat(((RouteResult.NotAcceptable) r).requested()).isEqualTo("v7");
    assertThat(((RouteResult.NotAcceptable) r).available()).containsExactly("v1", "v2");
  }

  @Test
  void groupsFoldPrefixesStripAndMiddlewaresInOrder() throws Exception {
    BulwarkConfig cfg =
        new ConfigLoader(k -> null)
            .parse(
                """
        upstreams:
          u: { targets: [ { url: http://127.0.0.1:1 } ] }
        middlewares:
          outer: { headers: { request: { set: { X-A: "1" } } } }
          inner: { headers: { request: { set: { X-B: "1" } } } }
          own: { headers: { request: { set: { X-C: "1" } } } }
        groups:
          - prefix: /api
            middlewares: [outer]
            groups:
              - prefix: /v1
                stripPrefix: true
                middlewares: [inner]
                routes:
                  - { name: deep, match: { path: "/orders/{id}" }, upstream: u, middlewares: [own] }
        """);
    RouteTable t = RouteTableCompiler.compile(cfg, new TargetStates(), Map.of(), 1);
    Route r =
        ((RouteResult.Found) t.lookup("GET", null, "/api/v1/orders/9", headers(), null)).route();
    assertThat(r.name()).isEqualTo("deep");
    assertThat(r.pattern()).isEqualTo("/api/v1/orders/{id}");
    assertThat(r.stripPrefix()).isEqualTo("/api/v1");
    assertThat(r.middlewareNames()).containsExactly("outer", "inner", "own");
  }

  @Test
  void tenThousandRoutesAllResolveToTheRightRoute() throws Exception {
    StringBuilder sb = new StringBuilder("routes:\n");
    for (int i = 0; i < 10_000; i++)
      sb.append("  - { name: r")
          .append(i)
          .append(", match: { path: \"/svc")
          .append(i)
          .append("/items/{id}\" }, upstream: u }\n");
    RouteTable t = table(sb.toString());
    List<String> wrong = new ArrayList<>();
    for (int i = 0; i < 10_000; i += 7) {
      RouteResult r = t.lookup("GET", null, "/svc" + i + "/items/42", headers(), null);
      if (!(r instanceof RouteResult.Found f)
          || !f.route().name().equals("r" + i)
          || !f.params().get("id").equals("42")) wrong.add("r" + i);
    }
    assertThat(wrong).isEmpty();
  }

  @Test
  void unchangedUpstreamIsReusedAcrossCompilesAndChangedOneIsNot() throws Exception {
    String base =
        """
        upstreams:
          keep: { targets: [ { url: http://127.0.0.1:1 } ] }
          change: { targets: [ { url: http://127.0.0.1:2 } ] }
        routes:
          - { name: a, match: { path: "/a" }, upstream: keep }
          - { name: b, match: { path: "/b" }, upstream: change }
        """;
    TargetStates states = new TargetStates();
    RouteTable t1 =
        RouteTableCompiler.compile(new ConfigLoader(k -> null).parse(base), states, Map.of(), 1);
    RouteTable t2 =
        RouteTableCompiler.compile(
            new ConfigLoader(k -> null)
                .parse(base.replace("127.0.0.1:2 }", "127.0.0.1:2, weight: 2 }")),
            states,
            t1.upstreams(),
            2);
    assertThat(t2.upstreams().get("keep")).isSameAs(t1.upstreams().get("keep"));
    assertThat(t2.upstreams().get("change")).isNotSameAs(t1.upstreams().get("change"));
    // the live state of the kept address is the same object
    assertThat(t2.upstreams().get("change").targets().get(0).state())
        .isSameAs(t1.upstreams().get("change").targets().get(0).state());
  }
}
