package bulwark.config;

import static bulwark.config.ConfigTesting.errors;
import static bulwark.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** healthCheck.active.grpc: binding, how it sets the type, and every error with its path. */
class GrpcHealthCheckConfigTest {
  private static String with(String upstream) {
    return """
        server: { listen: "127.0.0.1:8080" }
        upstreams:
          svc: %s
        routes:
          - { name: r, match: { path: /** }, upstream: svc }
        """
        .formatted(upstream);
  }

  private static ActiveCheckConfig active(String upstream) throws Exception {
    return load(with(upstream)).upstreams().get("svc").healthCheck().active();
  }

  @Test
  void aGrpcSectionMakesTheCheckGrpcAndNamesTheService() throws Exception {
    ActiveCheckConfig a =
        active(
            "{ protocol: h2c, targets: [ { url: \"http://127.0.0.1:1\" } ],"
                + " healthCheck: { active: { grpc: { service: helloworld.Greeter },"
                + " interval: 5s, timeout: 1s } } }");
    assertThat(a.type()).isEqualTo(HealthCheckType.GRPC);
    assertThat(a.grpcService()).isEqualTo("helloworld.Greeter");

    // the contract's shape: the server as a whole
    a =
        active(
            "{ protocol: h2c, targets: [ { url: \"http://127.0.0.1:1\" } ],"
                + " healthCheck: { active: { grpc: { service: \"\" } } } }");
    assertThat(a.type()).isEqualTo(HealthCheckType.GRPC);
    assertThat(a.grpcService()).isEmpty();

    // type grpc alone, or with an empty section: the whole server too
    assertThat(
            active(
                    "{ protocol: h2c, targets: [ { url: \"http://127.0.0.1:1\" } ],"
                        + " healthCheck: { active: { type: grpc } } }")
                .grpcService())
        .isEmpty();
    a =
        active(
            "{ protocol: h2c, targets: [ { url: \"http://127.0.0.1:1\" } ],"
                + " healthCheck: { active: { type: grpc, grpc: {} } } }");
    assertThat(a.type()).isEqualTo(HealthCheckType.GRPC);
    assertThat(a.grpcService()).isEmpty();
  }

  @Test
  void withoutAGrpcSectionTheTypeStaysHttp() throws Exception {
    ActiveCheckConfig a =
        active("{ targets: [ { url: \"http://127.0.0.1:1\" } ], healthCheck: { active: {} } }");
    assertThat(a.type()).isEqualTo(HealthCheckType.HTTP);
    assertThat(a.grpc()).isNull();
  }

  @Test
  void httpOrTcpTogetherWithAGrpcSectionIsAnError() {
    assertThat(
            errors(
                with(
                    "{ protocol: h2c, targets: [ { url: \"http://127.0.0.1:1\" } ],"
                        + " healthCheck: { active: { type: http, grpc: { service: x } } } }")))
        .containsExactly(
            "upstreams.svc.healthCheck.active.type: is http, and the grpc section asks for a gRPC"
                + " check: remove type (or set it to grpc), or remove grpc");
    assertThat(
            errors(
                with(
                    "{ protocol: h2c, targets: [ { url: \"http://127.0.0.1:1\" } ],"
                        + " healthCheck: { active: { type: tcp, grpc: {} } } }")))
        .containsExactly(
            "upstreams.svc.healthCheck.active.type: is tcp, and the grpc section asks for a gRPC"
                + " check: remove type (or set it to grpc), or remove grpc");
  }

  @Test
  void aGrpcCheckOnAnHttp1UpstreamIsAnErrorThatSaysGrpcNeedsHttp2() {
    assertThat(
            errors(
                with(
                    "{ targets: [ { url: \"http://127.0.0.1:1\" } ],"
                        + " healthCheck: { active: { grpc: { service: x } } } }")))
        .containsExactly(
            "upstreams.svc.healthCheck.active.grpc: a gRPC health check needs HTTP/2, and this"
                + " upstream's protocol is http1: set protocol to h2c (http:// targets), h2 or"
                + " auto (https:// targets)");
    // type grpc without a section: the error is on type
    assertThat(
            errors(
                with(
                    "{ protocol: http1, targets: [ { url: \"http://127.0.0.1:1\" } ],"
                        + " healthCheck: { active: { type: grpc } } }")))
        .containsExactly(
            "upstreams.svc.healthCheck.active.type: a gRPC health check needs HTTP/2, and this"
                + " upstream's protocol is http1: set protocol to h2c (http:// targets), h2 or"
                + " auto (https:// targets)");
  }

  @Test
  void autoWithPlainTargetsSpeaksHttp1SoAGrpcCheckIsAnError() throws Exception {
    assertThat(
            errors(
                with(
                    "{ protocol: auto, targets: [ { url: \"https://127.0.0.1:1\" },"
                        + " { url: \"http://127.0.0.1:2\" } ],"
                        + " healthCheck: { active: { grpc: {} } } }")))
        .containsExactly(
            "upstreams.svc.healthCheck.active.grpc: a gRPC health check needs HTTP/2, and"
                + " protocol auto speaks HTTP/1.1 to http:// targets such as targets[1]"
                + " 'http://127.0.0.1:2': use protocol h2c for plain-TCP targets, or https://"
                + " URLs");
    assertThat(
            errors(
                with(
                    "{ protocol: auto, discovery: { dns: \"a.svc:80\" },"
                        + " healthCheck: { active: { grpc: {} } } }")))
        .containsExactly(
            "upstreams.svc.healthCheck.active.grpc: a gRPC health check needs HTTP/2, and"
                + " protocol auto speaks HTTP/1.1 to the http:// targets that discovery finds:"
                + " use protocol h2c");
    // auto with https:// targets, and h2, are fine
    assertThat(
            active(
                    "{ protocol: auto, targets: [ { url: \"https://127.0.0.1:1\" } ],"
                        + " healthCheck: { active: { grpc: {} } } }")
                .type())
        .isEqualTo(HealthCheckType.GRPC);
    assertThat(
            active(
                    "{ protocol: h2, targets: [ { url: \"https://127.0.0.1:1\" } ],"
                        + " healthCheck: { active: { grpc: {} } } }")
                .type())
        .isEqualTo(HealthCheckType.GRPC);
  }

  @Test
  void httpOnlyFieldsOnAGrpcCheckAreErrorsAndEveryErrorIsReported() {
    assertThat(
            errors(
                with(
                    "{ targets: [ { url: \"http://127.0.0.1:1\" } ],"
                        + " healthCheck: { active: { grpc: { service: x }, path: /healthz,"
                        + " statuses: [200], healthyThreshold: 0 } } }")))
        .containsExactlyInAnyOrder(
            "upstreams.svc.healthCheck.active.healthyThreshold: must be at least 1",
            "upstreams.svc.healthCheck.active.path: is for http checks: a gRPC check always calls"
                + " /grpc.health.v1.Health/Check (name the service in grpc.service)",
            "upstreams.svc.healthCheck.active.statuses: are for http checks: a gRPC check passes"
                + " on grpc-status 0 and SERVING",
            "upstreams.svc.healthCheck.active.grpc: a gRPC health check needs HTTP/2, and this"
                + " upstream's protocol is http1: set protocol to h2c (http:// targets), h2 or"
                + " auto (https:// targets)");
  }

  @Test
  void unknownKeysInTheGrpcSectionAreErrors() {
    assertThat(
            errors(
                with(
                    "{ protocol: h2c, targets: [ { url: \"http://127.0.0.1:1\" } ],"
                        + " healthCheck: { active: { grpc: { servce: x } } } }")))
        .singleElement()
        .satisfies(
            e ->
                assertThat(e)
                    .startsWith("upstreams.svc.healthCheck.active.grpc.servce: unknown key")
                    .contains("service"));
  }
}
