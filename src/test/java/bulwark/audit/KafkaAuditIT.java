package bulwark.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.TestSupport;
import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Kafka audit sink against a real broker (KRaft, in this JVM), and without one. */
class KafkaAuditIT {
  static final String TOKEN = AuditIT.ADMIN_TOKEN;
  static KafkaClusterTestKit kafka;
  static Upstream up;

  @BeforeAll
  static void startBroker() throws Exception {
    kafka =
        new KafkaClusterTestKit.Builder(
                new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .build())
            .build();
    kafka.format();
    kafka.startup();
    kafka.waitForReadyBrokers();
    up = new Upstream("up");
  }

  @AfterAll
  static void stop() throws Exception {
    if (up != null) up.close();
    if (kafka != null) kafka.close();
  }

  private static String config(String auditSection) {
    return AuditIT.head(
            """
          metrics: { enabled: true }
          audit:
        %s"""
                .formatted(auditSection))
        + """
        upstreams:
          u: { targets: [ { url: %s } ] }
        routes:
          - { name: r, match: { path: /r/** }, upstream: u }
        """
            .formatted(up.url());
  }

  private static double count(MeterRegistry r, String name, String sink) {
    var c = r.find(name).tag("sink", sink).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void eventsReachTheTopicInTheOrderTheyHappenedWithTheirFields() throws Exception {
    String topic = "audit-" + UUID.randomUUID();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
    }
    int n = 30;
    try (RunningGateway gw =
        RunningGateway.start(
            config(
                """
            kafka: { bootstrapServers: "%s", topic: "%s" }
        """
                    .formatted(kafka.bootstrapServers(), topic)))) {
      for (int i = 0; i < n; i++) {
        assertThat(
                TestSupport.get(gw.adminUrl("/p" + i), "Authorization", "Bearer wrong-" + i)
                    .statusCode())
            .isEqualTo(401);
      }
      gw.gateway
          .observability()
          .audit()
          .event("remediation.applied", Map.of("bulwark.remediation.action", "shed_load"));

      List<ConsumerRecord<String, String>> got = consume(topic, n + 1);
      AuditLog audit = (AuditLog) gw.gateway.observability().audit();
      List<JsonObject> events = new ArrayList<>();
      for (ConsumerRecord<String, String> rec : got) {
        assertThat(rec.key()).isEqualTo(audit.serviceId());
        events.add(new JsonObject(rec.value()));
      }
      assertThat(got.stream().map(ConsumerRecord::partition).distinct())
          .as("one key, one partition")
          .hasSize(1);
      for (int i = 0; i < n; i++) {
        JsonObject e = events.get(i);
        assertThat(e.getString("event.action")).isEqualTo("admin.call");
        assertThat(e.getString("url.path")).as("the order the calls were made").isEqualTo("/p" + i);
        assertThat(e.getInteger("http.response.status_code")).isEqualTo(401);
        assertThat(e.getLong("event.sequence")).isEqualTo(i + 1L);
        AuditIT.assertCommonFields(e);
        assertThat(e.getString("service.id")).isEqualTo(audit.serviceId());
      }
      JsonObject last = events.get(n);
      assertThat(last.getString("event.action")).isEqualTo("remediation.applied");
      assertThat(last.getString("event.category")).isEqualTo("configuration");
      assertThat(last.getString("bulwark.remediation.action")).isEqualTo("shed_load");
      assertThat(last.getLong("event.sequence")).isEqualTo(n + 1L);
      assertThat(String.join("\n", got.stream().map(ConsumerRecord::value).toList()))
          .doesNotContain("wrong-")
          .doesNotContain(TOKEN);

      MeterRegistry reg = gw.gateway.observability().registry();
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> count(reg, "bulwark.audit.events", "kafka") == n + 1);
      assertThat(count(reg, "bulwark.audit.events.dropped", "kafka")).isZero();
      assertThat(gw.gateway.observability().prometheus().scrape())
          .contains("bulwark_audit_events_total{sink=\"kafka\"} 31.0");
    }
  }

  /**
   * Reads {@code n} records of {@code topic} from the start, in partition order (no consumer group:
   * one broker).
   */
  private static List<ConsumerRecord<String, String>> consume(String topic, int n) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    List<ConsumerRecord<String, String>> got = new ArrayList<>();
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p)) {
      List<TopicPartition> parts =
          c.partitionsFor(topic).stream()
              .map(i -> new TopicPartition(topic, i.partition()))
              .toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                c.poll(Duration.ofMillis(200)).forEach(got::add);
                return got.size() >= n;
              });
    }
    assertThat(got).hasSize(n);
    return got;
  }

  @Test
  void withTheBrokerUnreachableRequestsSucceedAndEventsAreDroppedAndCounted() throws Exception {
    int closed = TestSupport.freePort();
    try (RunningGateway gw =
        RunningGateway.start(
            config(
                """
            queueSize: 2
            kafka: { bootstrapServers: "127.0.0.1:%d", maxBlock: 500ms, closeTimeout: 500ms }
        """
                    .formatted(closed)))) {
      int n = 20;
      for (int i = 0; i < n; i++) {
        assertThat(
                TestSupport.get(gw.adminUrl("/p" + i), "Authorization", "Bearer wrong")
                    .statusCode())
            .isEqualTo(401);
        assertThat(TestSupport.get(gw.url("/r/" + i)).statusCode()).isEqualTo(200);
      }
      MeterRegistry reg = gw.gateway.observability().registry();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> count(reg, "bulwark.audit.events.dropped", "kafka") == n);
      assertThat(count(reg, "bulwark.audit.events", "kafka")).isZero();
      assertThat(gw.gateway.observability().prometheus().scrape())
          .contains("bulwark_audit_events_dropped_total{sink=\"kafka\"} 20.0");
    }
  }
}
