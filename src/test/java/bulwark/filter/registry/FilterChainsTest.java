package bulwark.filter.registry;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.BulwarkConfig;
import bulwark.config.ConfigLoader;
import bulwark.filter.Filter;
import bulwark.filter.HeadersFilter;
import bulwark.filter.cors.CorsFilter;
import bulwark.routing.Route;
import bulwark.routing.RouteResult;
import bulwark.routing.RouteTable;
import bulwark.routing.RouteTableCompiler;
import bulwark.upstream.target.TargetStates;
import io.vertx.core.MultiMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FilterChainsTest {
  private static Route route(RouteTable t, String method, String path) {
    return ((RouteResult.Found)
            t.lookup(method, null, path, MultiMap.caseInsensitiveMultiMap(), null))
        .route();
  }

  @Test
  void eachRouteGetsItsGroupsAndOwnMiddlewaresInOrderAtItsId() throws Exception {
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
        routes:
          - { name: plain, match: { path: "/plain" }, upstream: u }
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
    Filter[][] chains = FilterChains.compile(cfg);
    assertThat(chains.length).isEqualTo(t.routes().size());
    Route deep = route(t, "GET", "/api/v1/orders/9");
    assertThat(chains[deep.id()]).hasSize(3).allMatch(f -> f instanceof HeadersFilter);
    assertThat(chains[route(t, "GET", "/plain").id()]).isEmpty();
    // one filter per middleware, shared by the routes that name it: the chain holds them in order
    assertThat(deep.middlewareNames()).containsExactly("outer", "inner", "own");
  }

  @Test
  void aRouteWithMethodsAndACorsMiddlewareAlsoMatchesOptions() throws Exception {
    BulwarkConfig cfg =
        new ConfigLoader(k -> null)
            .parse(
                """
        upstreams:
          u: { targets: [ { url: http://127.0.0.1:1 } ] }
        middlewares:
          c: { cors: { allowOrigins: ["https://a.example"] } }
        routes:
          - { name: r, match: { path: "/x", methods: [GET] }, upstream: u, middlewares: [c] }
          - { name: s, match: { path: "/y", methods: [GET] }, upstream: u }
        """);
    RouteTable t = RouteTableCompiler.compile(cfg, new TargetStates(), Map.of(), 1);
    Filter[][] chains = FilterChains.compile(cfg);
    Route r = route(t, "OPTIONS", "/x");
    assertThat(r.methods()).containsExactlyInAnyOrder("GET", "OPTIONS");
    assertThat(chains[r.id()]).singleElement().isInstanceOf(CorsFilter.class);
    assertThat(t.lookup("OPTIONS", null, "/y", MultiMap.caseInsensitiveMultiMap(), null))
        .isInstanceOf(RouteResult.MethodNotAllowed.class);
  }
}
