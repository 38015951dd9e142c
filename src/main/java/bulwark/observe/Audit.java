package bulwark.observe;

import java.util.Map;

/**
 * The audit log as other parts see it (the server's Observability.audit()): one call per event,
 * never blocking, safe from any thread. The sinks (file, Kafka) and the events the gateway itself
 * audits live in bulwark.audit.
 */
public interface Audit {
  Audit NONE = (type, fields) -> {};

  /**
   * Records one event. {@code type} is a dotted name (e.g. "remediation.applied"); {@code fields}
   * are its details, already free of secrets.
   */
  void event(String type, Map<String, Object> fields);
}
