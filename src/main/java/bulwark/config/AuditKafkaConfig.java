package bulwark.config;

public record AuditKafkaConfig(
    @Doc(value = "Kafka bootstrap servers, host:port[,host:port].", required = true) String bootstrapServers,
    @Doc(value = "The topic audit events go to.", dflt = "bulwark-audit") String topic) {}
