package bulwark.config;

import static bulwark.config.ConfigTesting.errors;
import static bulwark.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** upstreams.NAME.h2: binding, defaults, and every error with its path. */
class LivenessConfigTest {
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
  void absentMeansNoPingsAndPingsBindWithTheirTimeout() throws Exception {
    assertThat(
            load(with("{ protocol: h2c, targets: [ { url: \"http://127.0.0.1:1\" } ] }"))
                .upstreams()
                .get("svc")
                .h2())
        .isEqualTo(new LivenessConfig(null, Duration.ofSeconds(5)));
    assertThat(
            load(with(
                    "{ protocol: h2c, h2: { pingInterval: 30s }, targets: [ { url:"
                        + " \"http://127.0.0.1:1\" } ] }"))
                .upstreams()
                .get("svc")
                .h2())
        .isEqualTo(new LivenessConfig(Duration.ofSeconds(30), Duration.ofSeconds(5)));
  }

  @Test
  void pingsNeedHttp2AndPositiveDurations() {
    assertThat(
            errors(
                with(
                    "{ h2: { pingInterval: 30s }, targets: [ { url: \"http://127.0.0.1:1\" } ]"
                        + " }")))
        .containsExactly(
            "upstreams.svc.h2.pingInterval: PINGs are HTTP/2 frames, and protocol is http1: set"
                + " protocol h2c, h2 or auto, or remove h2");
    assertThat(
            errors(
                with(
                    "{ protocol: h2c, h2: { pingInterval: 0s, pingTimeout: 0s }, targets: [ {"
                        + " url: \"http://127.0.0.1:1\" } ] }")))
        .containsExactly(
            "upstreams.svc.h2.pingInterval: must be above 0",
            "upstreams.svc.h2.pingTimeout: must be above 0");
  }
}
