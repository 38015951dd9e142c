package bulwark.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;

/**
 * One audit event: its fields in the order they are written, dotted ECS keys at the root. Built on
 * the caller's thread, serialized once, lazily, by the first sink that writes it.
 */
final class AuditEvent {
  private static final ObjectMapper JSON = new ObjectMapper();
  final Map<String, Object> fields;
  private volatile String json;

  AuditEvent(Map<String, Object> fields) {
    this.fields = fields;
  }

  /** The event as one line of JSON (no line end). */
  String json() {
    String j = json;
    if (j == null) {
      try {
        j = JSON.writeValueAsString(fields);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(
            "audit event cannot be written as JSON: " + e.getOriginalMessage(), e);
      }
      json = j;
    }
    return j;
  }
}
