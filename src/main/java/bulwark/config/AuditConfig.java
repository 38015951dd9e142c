package bulwark.config;

public record AuditConfig(
    @Doc("Append audit events to this JSON-lines file.") String file,
    @Doc(value = "Send audit events to Kafka.", section = true) AuditKafkaConfig kafka) {}
