package bulwark.upstream;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/** Registry of balancer strategies under explicit names (never derived from class names). */
public final class Balancers {
  private static final Map<String, Function<List<Target>, Balancer>> FACTORIES;

  static {
    Map<String, Function<List<Target>, Balancer>> m = new LinkedHashMap<>();
    m.put("round_robin", RoundRobinBalancer::new);
    m.put("least_request", LeastRequestBalancer::new);
    m.put("consistent_hash", ConsistentHashBalancer::new);
    m.put("random", RandomBalancer::new);
    FACTORIES = Collections.unmodifiableMap(m);
  }

  /** "round_robin", "least_request", "consistent_hash", "random" (in that order). */
  public static final Set<String> NAMES = FACTORIES.keySet();

  private Balancers() {}

  /** @throws IllegalArgumentException on an unknown (or null) name */
  public static Balancer newBalancer(String name, List<Target> targets) {
    Function<List<Target>, Balancer> f = name == null ? null : FACTORIES.get(name);
    if (f == null) {
      throw new IllegalArgumentException(
          "unknown balancer '" + name + "', expected one of " + NAMES);
    }
    return f.apply(targets);
  }

  /** Index of the first available target, or -1. Shared helper. */
  static int firstAvailable(Target[] targets) {
    for (int i = 0; i < targets.length; i++) {
      if (targets[i].available()) {
        return i;
      }
    }
    return -1;
  }
}
