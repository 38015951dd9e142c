package bulwark.audit;

import bulwark.config.AuditKafkaConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends each event to Kafka with an idempotent producer (acks=all), keyed by the gateway instance
 * so that all its events go to one partition in order. Only this sink's thread calls the producer:
 * {@code send} may block up to maxBlock on metadata or buffer space, and meanwhile events queue up,
 * then are dropped and counted; the gateway never waits.
 */
final class KafkaSink extends QueuedSink {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaSink.class);
  private final AuditKafkaConfig cfg;
  private final String key;
  private Producer<String, String> producer;
  private long retryAtNanos;
  private volatile boolean failing;

  KafkaSink(AuditKafkaConfig cfg, String key, int capacity, MeterRegistry registry) {
    super("kafka", capacity, registry);
    this.cfg = cfg;
    this.key = key;
  }

  /** The producer settings: the user's extras, then what Bulwark fixes. */
  static Properties producerProperties(AuditKafkaConfig cfg, String clientId) {
    Properties p = new Properties();
    p.putAll(cfg.properties());
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cfg.bootstrapServers());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(cfg.maxBlock().toMillis()));
    p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    return p;
  }

  @Override
  void write(List<AuditEvent> batch) {
    if (producer == null && !connect()) {
      dropped(batch.size());
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      try {
        producer.send(
            new ProducerRecord<>(cfg.topic(), key, batch.get(i).json()),
            (md, ex) -> {
              if (ex == null) {
                written(1);
                if (failing) LOG.info("audit: Kafka accepts events again");
                failing = false;
              } else {
                dropped(1);
                failed(ex);
              }
            });
      } catch (RuntimeException e) {
        // metadata or buffer space did not come within maxBlock (or the producer is closed)
        dropped(1);
        failed(e);
      }
    }
  }

  private void failed(Exception e) {
    if (!failing)
      LOG.warn(
          "audit: Kafka {} does not take events, they are dropped and counted: {}",
          cfg.bootstrapServers(),
          e.toString());
    failing = true;
  }

  /** Creates the producer here, off every event loop (it resolves the bootstrap addresses). */
  private boolean connect() {
    if (System.nanoTime() < retryAtNanos) return false;
    try {
      producer = new KafkaProducer<>(producerProperties(cfg, "bulwark-audit-" + key));
      return true;
    } catch (RuntimeException e) {
      retryAtNanos = System.nanoTime() + cfg.maxBlock().toNanos();
      failed(e);
      return false;
    }
  }

  @Override
  void finish(long millis) {
    if (producer == null) return;
    try {
      producer.close(Duration.ofMillis(millis));
    } catch (RuntimeException e) {
      LOG.warn("audit: closing the Kafka producer: {}", e.toString());
    }
  }
}
