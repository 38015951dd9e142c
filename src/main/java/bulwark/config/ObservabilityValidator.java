package bulwark.config;

import static bulwark.config.ConfigErrors.nz;

import java.util.Set;
import java.util.regex.Pattern;

/** Checks of the observability section: tracing export and the audit sinks. */
final class ObservabilityValidator {
  private static final Pattern KAFKA_TOPIC = Pattern.compile("[A-Za-z0-9._-]{1,249}");

  /** Producer settings the Kafka audit sink fixes: ordering and delivery depend on them. */
  static final Set<String> KAFKA_FIXED =
      Set.of(
          "acks",
          "enable.idempotence",
          "key.serializer",
          "value.serializer",
          "bootstrap.servers",
          "max.block.ms");

  private final ConfigErrors err;

  ObservabilityValidator(ConfigErrors err) {
    this.err = err;
  }

  void tracing(String p, TracingConfig t) {
    err.url(p + ".endpoint", nz(t.endpoint()));
    err.named(p + ".protocol");
    err.check(
        t.sampleRatio() == null || (t.sampleRatio().value() >= 0 && t.sampleRatio().value() <= 100),
        p + ".sampleRatio",
        "must be 0% to 100%");
    err.check(!nz(t.serviceName()).isBlank(), p + ".serviceName", "must not be empty");
    t.headers()
        .forEach(
            (name, value) -> {
              err.check(
                  Syntax.TOKEN.matcher(name).matches(),
                  p + ".headers." + name,
                  "'" + name + "' is not a valid header name");
              err.check(
                  value != null && value.indexOf('\r') < 0 && value.indexOf('\n') < 0,
                  p + ".headers." + name,
                  "the value must be one line");
            });
    err.positive(t.exportTimeout(), p + ".exportTimeout");
    err.positive(t.scheduleDelay(), p + ".scheduleDelay");
    err.check(t.maxQueueSize() >= 1, p + ".maxQueueSize", "must be at least 1");
    err.check(
        t.maxExportBatchSize() >= 1 && t.maxExportBatchSize() <= t.maxQueueSize(),
        p + ".maxExportBatchSize",
        "must be 1 to maxQueueSize (" + t.maxQueueSize() + ")");
  }

  void audit(AuditConfig a, String p) {
    err.check(
        a.file() != null || a.kafka() != null,
        p,
        "set file, kafka or both (or remove the audit section)");
    if (a.file() != null) {
      java.nio.file.Path dir = java.nio.file.Path.of(a.file()).toAbsolutePath().getParent();
      err.check(
          dir != null && java.nio.file.Files.isDirectory(dir),
          p + ".file",
          "directory " + dir + " does not exist");
      err.check(
          !java.nio.file.Files.isDirectory(java.nio.file.Path.of(a.file())),
          p + ".file",
          a.file() + " is a directory");
    }
    err.check(a.queueSize() >= 1, p + ".queueSize", "must be at least 1");
    AuditKafkaConfig k = a.kafka();
    if (k == null) return;
    String kp = p + ".kafka";
    if (k.bootstrapServers() != null) {
      for (String hp : k.bootstrapServers().split(","))
        err.hostPort(hp.trim(), kp + ".bootstrapServers");
    }
    err.check(
        KAFKA_TOPIC.matcher(nz(k.topic())).matches()
            && !".".equals(k.topic())
            && !"..".equals(k.topic()),
        kp + ".topic",
        "'"
            + k.topic()
            + "' is not a Kafka topic name (letters, digits, '.', '_', '-'; at most 249)");
    err.positive(k.maxBlock(), kp + ".maxBlock");
    err.positive(k.closeTimeout(), kp + ".closeTimeout");
    for (String key : k.properties().keySet()) {
      err.check(
          !KAFKA_FIXED.contains(key),
          kp + ".properties." + key,
          "is set by Bulwark (use bootstrapServers / maxBlock, or leave it)");
    }
  }
}
