package bulwark.upstream.health;

import bulwark.config.ScoreWeights;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * The health score of one check, 0 to 100: the weighted mean of four parts, each between 0 and 1.
 *
 * <ul>
 *   <li>network: 1 when the target answered (HTTP) or accepted the connection (TCP);
 *   <li>health: 1 when the check passed (an expected status);
 *   <li>resources: {@code 1 - max(cpu, memory)} from the JSON answer, each clamped to 0..1;
 *   <li>dependencies: the share of entries of the JSON's {@code dependencies} object that are
 *       {@code "UP"} (a value is either a status string or an object with a {@code status}).
 * </ul>
 *
 * A JSON part the answer does not report counts as full (1). A check that got no answer loses
 * network and health, and keeps the resources and dependencies parts of the last answer (no answer
 * says nothing new about them).
 */
public final class HealthScore {
  /** Used when the config has no weights: network 30, health 40, resources 20, dependencies 10. */
  public static final ScoreWeights DEFAULT_WEIGHTS = new ScoreWeights(30, 40, 20, 10);

  private HealthScore() {}

  /** The score of a check, with full resource and dependency parts when it got no answer. */
  public static int of(ScoreWeights w, CheckResult r) {
    return of(w, r.reached(), r.passed(), resources(r.body()), dependencies(r.body()));
  }

  /** The weighted mean of the four parts, scaled to 0..100 and rounded. */
  public static int of(
      ScoreWeights w, boolean reached, boolean passed, double resources, double dependencies) {
    double total = w.network() + w.health() + w.resources() + w.dependencies();
    if (total <= 0) {
      return 100;
    }
    double sum =
        w.network() * (reached ? 1.0 : 0.0)
            + w.health() * (passed ? 1.0 : 0.0)
            + w.resources() * resources
            + w.dependencies() * dependencies;
    return (int) Math.round(100.0 * sum / total);
  }

  /** 1 - max(cpu, memory), each clamped to 0..1; 1 when the answer reports neither. */
  static double resources(JsonObject body) {
    if (body == null) {
      return 1.0;
    }
    double used = Math.max(fraction(body.getValue("cpu")), fraction(body.getValue("memory")));
    return 1.0 - used;
  }

  /** Share of dependencies that are UP; 1 when the answer lists none. */
  static double dependencies(JsonObject body) {
    Object deps = body == null ? null : body.getValue("dependencies");
    if (!(deps instanceof JsonObject o) || o.isEmpty()) {
      return 1.0;
    }
    int up = 0;
    for (Map.Entry<String, Object> e : o) {
      Object v = e.getValue();
      if (v instanceof JsonObject jo) {
        v = jo.getValue("status");
      }
      if (v instanceof String s && s.equalsIgnoreCase("UP")) {
        up++;
      }
    }
    return up / (double) o.size();
  }

  private static double fraction(Object v) {
    if (!(v instanceof Number n)) {
      return 0.0;
    }
    double d = n.doubleValue();
    if (Double.isNaN(d)) {
      return 0.0;
    }
    return Math.max(0.0, Math.min(1.0, d));
  }
}
