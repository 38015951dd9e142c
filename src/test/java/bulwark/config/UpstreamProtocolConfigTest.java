package bulwark.config;

import static bulwark.config.ConfigTesting.errors;
import static bulwark.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** upstreams.NAME.protocol: binding, the default, and every error with its path. */
class UpstreamProtocolConfigTest {
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

  @Test
  void http1IsTheDefaultAndEachProtocolBinds() throws Exception {
    assertThat(load(with("{ targets: [ { url: \"http://127.0.0.1:1\" } ] }")).upstreams())
        .extractingByKey("svc")
        .extracting(UpstreamConfig::protocol)
        .isEqualTo(UpstreamProtocol.HTTP1);
    assertThat(
            load(with("{ protocol: h2c, targets: [ { url: \"http://127.0.0.1:1\" } ] }"))
                .upstreams()
                .get("svc")
                .protocol())
        .isEqualTo(UpstreamProtocol.H2C);
    assertThat(
            load(with("{ protocol: h2, targets: [ { url: \"https://127.0.0.1:1\" } ] }"))
                .upstreams()
                .get("svc")
                .protocol())
        .isEqualTo(UpstreamProtocol.H2);
    // auto: ALPN over TLS, HTTP/1.1 to plain targets; both kinds of target are fine
    assertThat(
            load(with(
                    "{ protocol: auto, targets: [ { url: \"https://127.0.0.1:1\" },"
                        + " { url: \"http://127.0.0.1:2\" } ] }"))
                .upstreams()
                .get("svc")
                .protocol())
        .isEqualTo(UpstreamProtocol.AUTO);
  }

  @Test
  void h2WithoutTlsIsAnErrorNamingTheTarget() {
    assertThat(
            errors(
                with(
                    "{ protocol: h2, targets: [ { url: \"https://127.0.0.1:1\" },"
                        + " { url: \"http://127.0.0.1:2\" } ] }")))
        .containsExactly(
            "upstreams.svc.protocol: h2 is HTTP/2 over TLS (ALPN) and needs https:// targets, and"
                + " targets[1] is 'http://127.0.0.1:2': use an https:// URL, or h2c for HTTP/2"
                + " over plain TCP");
    assertThat(errors(with("{ protocol: h2, discovery: { dns: \"a.svc:80\" } }")))
        .anySatisfy(
            e -> assertThat(e).startsWith("upstreams.svc.protocol: h2 is HTTP/2 over TLS, and"));
  }

  @Test
  void h2cWithTlsAndUnknownNamesAreErrors() {
    assertThat(errors(with("{ protocol: h2c, targets: [ { url: \"https://127.0.0.1:1\" } ] }")))
        .containsExactly(
            "upstreams.svc.protocol: h2c is HTTP/2 over plain TCP and needs http:// targets, and"
                + " targets[0] is 'https://127.0.0.1:1': use h2 for HTTP/2 over TLS");
    assertThat(errors(with("{ protocol: http2, targets: [ { url: \"http://127.0.0.1:1\" } ] }")))
        .singleElement()
        .satisfies(
            e ->
                assertThat(e)
                    .startsWith("upstreams.svc.protocol: 'http2' must be")
                    .contains("h2c"));
  }
}
