package bulwark.config;

import java.time.Duration;
import java.util.Map;

public record AuditKafkaConfig(
    @Doc(value = "Kafka bootstrap servers, host:port[,host:port].", required = true)
        String bootstrapServers,
    @Doc(
            value =
                "The topic audit events go to. Every event of one gateway instance has the same key (service.id), so they share a partition and keep their order.",
            dflt = "bulwark-audit")
        String topic,
    @Doc(
            value =
                "Longest a send may wait for topic metadata or producer buffer space (max.block.ms). Events arriving meanwhile queue up to queueSize, then are dropped and counted.",
            unit = "duration",
            dflt = "10s")
        Duration maxBlock,
    @Doc(
            value =
                "At shutdown, how long queued events may take to reach the broker before the rest are dropped.",
            unit = "duration",
            dflt = "5s")
        Duration closeTimeout,
    @Doc(
            value =
                "Further Kafka producer settings (security.protocol, sasl.mechanism, ssl.truststore.location, ...). Cannot change acks, enable.idempotence or the serializers. Values are never logged by Bulwark.",
            unit = "map of producer property to value")
        Map<String, String> properties) {}
