package bulwark.config;

import static bulwark.config.ConfigTesting.errors;
import static bulwark.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * retry.on's gRPC statuses and routes[].grpc.safeMethods: binding and every error with its path.
 */
class GrpcRetryConfigTest {
  private static String with(String protocol, String on, String grpc) {
    return """
        server: { listen: "127.0.0.1:8080" }
        upstreams:
          svc: { protocol: %s, targets: [ { url: "http://127.0.0.1:1" } ], retry: { on: %s } }
        routes:
          - { name: r, match: { path: /** }, upstream: svc, grpc: %s }
        """
        .formatted(protocol, on, grpc);
  }

  @Test
  void grpcStatusesAndSafeMethodsBindTyped() throws Exception {
    BulwarkConfig c =
        load(
            with(
                "h2c",
                "[unavailable, resource_exhausted, 503, reset]",
                "{ safeMethods: [\"/pkg.Svc/Get\", \"/pkg.Svc/List*\", \"/pkg.v1.Other/*\"] }"));
    assertThat(c.upstreams().get("svc").retry().on())
        .containsExactly(
            new RetryOn(null, 0, GrpcStatus.UNAVAILABLE),
            new RetryOn(null, 0, GrpcStatus.RESOURCE_EXHAUSTED),
            new RetryOn(null, 503),
            new RetryOn(RetryCondition.RESET, 0));
    List<GrpcMethod> safe = c.routes().get(0).grpc().safeMethods();
    assertThat(safe)
        .extracting(GrpcMethod::toString)
        .containsExactly("/pkg.Svc/Get", "/pkg.Svc/List*", "/pkg.v1.Other/*");
    assertThat(safe.get(0).matches("/pkg.Svc/Get")).isTrue();
    assertThat(safe.get(0).matches("/pkg.Svc/GetAll")).isFalse();
    assertThat(safe.get(1).matches("/pkg.Svc/ListThings")).isTrue();
    assertThat(safe.get(1).matches("/pkg.Svc/Create")).isFalse();
    assertThat(safe.get(2).matches("/pkg.v1.Other/Anything")).isTrue();
    assertThat(safe.get(2).matches("/pkg.v1.OtherX/Anything")).isFalse();
  }

  @Test
  void aMisspelledStatusIsAnErrorWithASuggestion() {
    assertThat(errors(with("h2c", "[unavailble]", "{ safeMethods: [\"/a.B/C\"] }")))
        .containsExactly(
            "upstreams.svc.retry.on[0]: 'unavailble' must be connect_failure, reset, timeout, an"
                + " HTTP status or a gRPC status name (unavailable, resource_exhausted...)"
                + Suggest.didYouMean(
                    "unavailble", List.of("connect_failure", "reset", "timeout", "unavailable")));
  }

  @Test
  void aGrpcStatusNeedsHttp2() {
    assertThat(errors(with("http1", "[reset, unavailable]", "{ safeMethods: [\"/a.B/C\"] }")))
        .containsExactly(
            "upstreams.svc.retry.on[1]: the gRPC status 'unavailable' needs HTTP/2 toward the"
                + " upstream (gRPC is HTTP/2): set protocol h2c, h2 or auto");
  }

  @Test
  void badMethodsAreErrorsWithTheirPaths() {
    assertThat(
            errors(
                with(
                    "h2c",
                    "[unavailable]",
                    "{ safeMethods: [\"/a.B/C\", \"a.B/C\", \"/a.B/*/x\", \"/a.B\"] }")))
        .containsExactly(
            "routes[0].grpc.safeMethods[1]: 'a.B/C' must be a gRPC method, /package.Service/Method,"
                + " or methods ending with * (/package.Service/Get*, /package.Service/*)",
            "routes[0].grpc.safeMethods[2]: '/a.B/*/x' must be a gRPC method,"
                + " /package.Service/Method, or methods ending with * (/package.Service/Get*,"
                + " /package.Service/*)",
            "routes[0].grpc.safeMethods[3]: '/a.B' must be a gRPC method, /package.Service/Method,"
                + " or methods ending with * (/package.Service/Get*, /package.Service/*)");
  }

  @Test
  void safeMethodsWithoutARetryPolicyAreAnError() {
    assertThat(
            errors(
                """
                server: { listen: "127.0.0.1:8080" }
                upstreams:
                  svc: { protocol: h2c, targets: [ { url: "http://127.0.0.1:1" } ] }
                routes:
                  - { name: r, match: { path: /** }, upstream: svc, grpc: { safeMethods: ["/a.B/C"] } }
                """))
        .containsExactly(
            "routes[0].grpc.safeMethods: upstream 'svc' has no retry section, so nothing would be"
                + " retried");
  }
}
