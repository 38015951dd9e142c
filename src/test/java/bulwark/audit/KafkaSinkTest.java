package bulwark.audit;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.AuditKafkaConfig;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class KafkaSinkTest {
  @Test
  void theProducerIsIdempotentWithAcksAllWhateverTheExtrasSay() {
    AuditKafkaConfig cfg =
        new AuditKafkaConfig(
            "k1:9092",
            "t",
            Duration.ofSeconds(3),
            Duration.ofSeconds(5),
            Map.of(
                "security.protocol",
                "SSL",
                "acks",
                "1",
                "enable.idempotence",
                "false",
                "max.block.ms",
                "60000"));
    Properties p = KafkaSink.producerProperties(cfg, "bulwark-audit-x");
    assertThat(p.getProperty("enable.idempotence")).isEqualTo("true");
    assertThat(p.getProperty("acks")).isEqualTo("all");
    assertThat(p.getProperty("max.block.ms")).isEqualTo("3000");
    assertThat(p.getProperty("bootstrap.servers")).isEqualTo("k1:9092");
    assertThat(p.getProperty("security.protocol")).as("extras pass through").isEqualTo("SSL");
    assertThat(p.getProperty("client.id")).isEqualTo("bulwark-audit-x");
  }
}
