package bulwark.config;

import static bulwark.config.ConfigTesting.errors;
import static bulwark.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** routes[].grpcWeb: binding, the default, and the HTTP/2 upstream it needs. */
class GrpcWebConfigTest {
  private static String with(String route) {
    return """
        server: { listen: "127.0.0.1:8080" }
        upstreams:
          grpc: { protocol: h2c, targets: [ { url: "http://127.0.0.1:1" } ] }
          tls: { protocol: h2, targets: [ { url: "https://127.0.0.1:2" } ] }
          plain: { targets: [ { url: "http://127.0.0.1:3" } ] }
          old: { protocol: http1, targets: [ { url: "http://127.0.0.1:4" } ] }
          either: { protocol: auto, targets: [ { url: "http://127.0.0.1:5" } ] }
          alpn: { protocol: auto, targets: [ { url: "https://127.0.0.1:6" } ] }
        routes:
          - %s
        """
        .formatted(route);
  }

  @Test
  void offByDefaultAndBindsOnAnHttp2Upstream() throws Exception {
    assertThat(load(with("{ name: r, match: { path: /** }, upstream: grpc }")).routes().get(0))
        .extracting(RouteConfig::grpcWeb)
        .isEqualTo(false);
    for (String up : new String[] {"grpc", "tls", "alpn"}) {
      assertThat(
              load(with("{ name: r, match: { path: /** }, upstream: " + up + ", grpcWeb: true }"))
                  .routes()
                  .get(0)
                  .grpcWeb())
          .as(up)
          .isTrue();
    }
  }

  @Test
  void anHttp1UpstreamIsAnErrorWithItsPath() {
    assertThat(errors(with("{ name: r, match: { path: /** }, upstream: plain, grpcWeb: true }")))
        .containsExactly(
            "routes[0].grpcWeb: gRPC-Web is sent upstream as gRPC, which needs HTTP/2, and"
                + " upstream 'plain' speaks HTTP/1.1 (protocol http1): set its"
                + " protocol to h2c (HTTP/2 over plain TCP) or h2 (over TLS)");
    assertThat(errors(with("{ name: r, match: { path: /** }, upstream: old, grpcWeb: true }")))
        .containsExactly(
            "routes[0].grpcWeb: gRPC-Web is sent upstream as gRPC, which needs HTTP/2, and"
                + " upstream 'old' speaks HTTP/1.1 (protocol http1): set its protocol to h2c"
                + " (HTTP/2 over plain TCP) or h2 (over TLS)");
    assertThat(errors(with("{ name: r, match: { path: /** }, upstream: either, grpcWeb: true }")))
        .containsExactly(
            "routes[0].grpcWeb: gRPC-Web is sent upstream as gRPC, which needs HTTP/2, and"
                + " upstream 'either' has protocol auto, which speaks HTTP/1.1 to its http://"
                + " targets: set its protocol to h2c (HTTP/2 over plain TCP) or h2 (over TLS)");
  }

  @Test
  void everyUpstreamTheRouteCanUseIsChecked() {
    assertThat(
            errors(
                with(
                    "{ name: r, match: { path: /** }, grpcWeb: true,"
                        + " backends: [ { upstream: grpc, weight: 9 }, { upstream: plain, weight: 1 } ],"
                        + " canary: [ { match: { headers: { X-C: \"1\" } }, upstream: old } ] }")))
        .containsExactly(
            "routes[0].grpcWeb: gRPC-Web is sent upstream as gRPC, which needs HTTP/2, and"
                + " upstream 'plain' speaks HTTP/1.1 (protocol http1): set its"
                + " protocol to h2c (HTTP/2 over plain TCP) or h2 (over TLS)",
            "routes[0].grpcWeb: gRPC-Web is sent upstream as gRPC, which needs HTTP/2, and"
                + " upstream 'old' speaks HTTP/1.1 (protocol http1): set its protocol to h2c"
                + " (HTTP/2 over plain TCP) or h2 (over TLS)");
    // in a group, the path is the route's own
    assertThat(
            errors(
                """
                server: { listen: "127.0.0.1:8080" }
                upstreams:
                  plain: { targets: [ { url: "http://127.0.0.1:3" } ] }
                groups:
                  - prefix: /g
                    routes:
                      - { name: r, match: { path: /** }, upstream: plain, grpcWeb: true }
                """))
        .singleElement()
        .satisfies(e -> assertThat(e).startsWith("groups[0].routes[0].grpcWeb: gRPC-Web is sent"));
  }
}
