package bulwark.config;

import static bulwark.config.ConfigTesting.errors;
import static bulwark.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * observability.tracing: defaults, the production knobs, and every error reported with its path.
 */
class TracingConfigTest {

  @Test
  void defaultsAndTheContractKeysBind() throws Exception {
    TracingConfig t =
        load("observability:\n  tracing: { enabled: true, endpoint: \"https://otel.example:4318\", sampleRatio: 25%, serviceName: edge }\n")
            .observability()
            .tracing();
    assertThat(t.enabled()).isTrue();
    assertThat(t.endpoint()).isEqualTo("https://otel.example:4318");
    assertThat(t.protocol()).isEqualTo(TracingProtocol.HTTP_PROTOBUF);
    assertThat(t.sampleRatio().fraction()).isEqualTo(0.25);
    assertThat(t.serviceName()).isEqualTo("edge");
    assertThat(t.headers()).isEmpty();
    assertThat(t.exportTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(t.maxQueueSize()).isEqualTo(8192);
    assertThat(t.maxExportBatchSize()).isEqualTo(2048);
    assertThat(t.scheduleDelay()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void collectorHeadersTakeSecretsFromTheEnvironmentAndAreNeverPrinted() throws Exception {
    BulwarkConfig cfg =
        load(
            "observability:\n  tracing: { enabled: true, protocol: grpc, headers: { Authorization: \"Bearer ${OTEL_TOKEN}\" } }\n",
            Map.of("OTEL_TOKEN", "s3cr3t"));
    TracingConfig t = cfg.observability().tracing();
    assertThat(t.protocol()).isEqualTo(TracingProtocol.GRPC);
    assertThat(t.headers()).containsExactly(Map.entry("Authorization", "Bearer s3cr3t"));
    // a config that is printed (or audited) shows the header's name, never its value
    assertThat(cfg.toString())
        .contains("headers={Authorization=[REDACTED]}")
        .doesNotContain("s3cr3t");
  }

  @Test
  void everyTracingErrorIsReportedWithItsPath() {
    assertThat(
            errors(
                """
        observability:
          tracing:
            enabled: true
            endpoint: "ftp://collector:4318"
            protocol: zipkin
            sampleRatio: 150%
            serviceName: ""
            headers: { "bad header": x }
            exportTimeout: 0s
            maxQueueSize: 8
            maxExportBatchSize: 16
        """))
        .containsExactlyInAnyOrder(
            "observability.tracing.sampleRatio: '150%' is over 100%",
            "observability.tracing.endpoint: 'ftp://collector:4318' must be an http:// or https:// URL",
            "observability.tracing.protocol: 'zipkin' must be http/protobuf or grpc",
            "observability.tracing.serviceName: must not be empty",
            "observability.tracing.headers.bad header: 'bad header' is not a valid header name",
            "observability.tracing.exportTimeout: must be above 0",
            "observability.tracing.maxExportBatchSize: must be 1 to maxQueueSize (8)");
  }
}
