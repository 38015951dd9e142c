package bulwark.remediation;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One alert of an Alertmanager webhook notification (payload version 4): its status, labels and
 * identity. {@link #parse} checks the shape of the whole payload and names every problem.
 */
public record Alert(
    boolean firing, Map<String, String> labels, String fingerprint, String startsAt) {

  /** The alert's identity: its fingerprint, or its sorted labels when it has none. */
  public String key() {
    return fingerprint != null && !fingerprint.isEmpty()
        ? fingerprint
        : new TreeMap<>(labels).toString();
  }

  public String name() {
    return labels.get("alertname");
  }

  /**
   * The alerts of a webhook payload.
   *
   * @throws IllegalArgumentException listing every shape error, each with its JSON path
   */
  public static List<Alert> parse(JsonObject payload) {
    List<String> errors = new ArrayList<>();
    Object version = payload.getValue("version");
    if (version != null && !"4".equals(version))
      errors.add("version: '" + version + "' is not a supported payload version (expected \"4\")");
    Object arr = payload.getValue("alerts");
    List<Alert> out = new ArrayList<>();
    if (!(arr instanceof JsonArray alerts)) {
      errors.add("alerts: " + (arr == null ? "missing" : "not an array"));
    } else {
      for (int i = 0; i < alerts.size(); i++) {
        Alert a = alert(alerts.getValue(i), "alerts[" + i + "]", errors);
        if (a != null) out.add(a);
      }
    }
    if (!errors.isEmpty()) throw new IllegalArgumentException(String.join("; ", errors));
    return out;
  }

  private static Alert alert(Object v, String p, List<String> errors) {
    if (!(v instanceof JsonObject o)) {
      errors.add(p + ": not an object");
      return null;
    }
    int before = errors.size();
    Object status = o.getValue("status");
    if (!"firing".equals(status) && !"resolved".equals(status))
      errors.add(
          p
              + ".status: "
              + (status == null ? "missing" : "'" + status + "' is not firing or resolved"));
    Map<String, String> labels = new TreeMap<>();
    Object ls = o.getValue("labels");
    if (!(ls instanceof JsonObject lo)) {
      errors.add(p + ".labels: " + (ls == null ? "missing" : "not an object"));
    } else {
      for (String k : lo.fieldNames()) {
        if (lo.getValue(k) instanceof String s) labels.put(k, s);
        else errors.add(p + ".labels." + k + ": not a string");
      }
      if (!labels.containsKey("alertname")) errors.add(p + ".labels.alertname: missing");
    }
    String fingerprint = string(o, "fingerprint", p, errors);
    String startsAt = string(o, "startsAt", p, errors);
    if (errors.size() > before) return null;
    return new Alert("firing".equals(status), Map.copyOf(labels), fingerprint, startsAt);
  }

  private static String string(JsonObject o, String field, String p, List<String> errors) {
    Object v = o.getValue(field);
    if (v == null || v instanceof String) return (String) v;
    errors.add(p + "." + field + ": not a string");
    return null;
  }
}
