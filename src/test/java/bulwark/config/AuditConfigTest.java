package bulwark.config;

import static bulwark.config.ConfigTesting.USERS;
import static bulwark.config.ConfigTesting.errors;
import static bulwark.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class AuditConfigTest {
  @Test
  void defaults() throws Exception {
    String tmp = System.getProperty("java.io.tmpdir").replace("\\", "/");
    AuditConfig a =
        load(USERS
                + """
        observability:
          audit:
            file: "%s/audit.jsonl"
            kafka: { bootstrapServers: "k1:9092,k2:9092" }
        """
                    .formatted(tmp))
            .observability()
            .audit();
    assertThat(a.rateLimitBurst()).isEqualTo(new Rate(100, Duration.ofMinutes(1)));
    assertThat(a.queueSize()).isEqualTo(10000);
    assertThat(a.kafka().topic()).isEqualTo("bulwark-audit");
    assertThat(a.kafka().maxBlock()).isEqualTo(Duration.ofSeconds(10));
    assertThat(a.kafka().closeTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(a.kafka().properties()).isEmpty();
  }

  @Test
  void noAuditSectionMeansNoAuditLog() throws Exception {
    assertThat(load(USERS).observability().audit()).isNull();
  }

  @Test
  void everyErrorIsReportedWithItsPath() {
    assertThat(
            errors(
                USERS
                    + """
        observability:
          audit:
            file: /no/such/dir/audit.jsonl
            queueSize: 0
            rateLimitBurst: 10/fortnight
            kafka:
              bootstrapServers: "k1:9092,nohost"
              topic: "a topic"
              maxBlock: 0s
              properties: { acks: "1", enable.idempotence: "false", security.protocol: SSL }
        """))
        .containsExactlyInAnyOrder(
            "observability.audit.file: directory /no/such/dir does not exist",
            "observability.audit.queueSize: must be at least 1",
            "observability.audit.rateLimitBurst: '10/fortnight' is not a rate (use 10/s, 600/min or 10000/h)",
            "observability.audit.kafka.bootstrapServers: 'nohost' is not host:port",
            "observability.audit.kafka.topic: 'a topic' is not a Kafka topic name (letters, digits, '.', '_', '-'; at most 249)",
            "observability.audit.kafka.maxBlock: must be above 0",
            "observability.audit.kafka.properties.acks: is set by Bulwark (use bootstrapServers / maxBlock, or leave it)",
            "observability.audit.kafka.properties.enable.idempotence: is set by Bulwark (use bootstrapServers / maxBlock, or leave it)");
  }

  @Test
  void anAuditSectionNeedsASink() {
    assertThat(errors(USERS + "observability:\n  audit: { queueSize: 5 }\n"))
        .containsExactly(
            "observability.audit: set file, kafka or both (or remove the audit section)");
  }

  @Test
  void kafkaNeedsBootstrapServers() {
    assertThat(errors(USERS + "observability:\n  audit: { kafka: { topic: t } }\n"))
        .anySatisfy(e -> assertThat(e).startsWith("observability.audit.kafka.bootstrapServers:"));
  }
}
