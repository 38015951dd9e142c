package bulwark.upstream;

import bulwark.upstream.target.Target;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiFunction;

/** Registry of balancer strategies under explicit names (never derived from class names). */
public final class Balancers {
  private static final Map<String, BiFunction<List<Target>, HashOn, Balancer>> FACTORIES;

  static {
    Map<String, BiFunction<List<Target>, HashOn, Balancer>> m = new LinkedHashMap<>();
    m.put("round_robin", (targets, hashOn) -> new RoundRobinBalancer(targets));
    m.put("least_request", (targets, hashOn) -> new LeastRequestBalancer(targets));
    m.put("consistent_hash", ConsistentHashBalancer::new);
    m.put("random", (targets, hashOn) -> new RandomBalancer(targets));
    FACTORIES = Collections.unmodifiableMap(m);
  }

  /** "round_robin", "least_request", "consistent_hash", "random" (in that order). */
  public static final Set<String> NAMES = FACTORIES.keySet();

  private Balancers() {}

  /**
   * @throws IllegalArgumentException on an unknown (or null) name
   */
  public static Balancer newBalancer(String name, List<Target> targets) {
    return newBalancer(name, targets, HashOn.CLIENT_IP);
  }

  /**
   * @param hashOn what a hashing balancer (consistent_hash) hashes a request on; the others ignore
   *     it
   * @throws IllegalArgumentException on an unknown (or null) name
   */
  public static Balancer newBalancer(String name, List<Target> targets, HashOn hashOn) {
    BiFunction<List<Target>, HashOn, Balancer> f = name == null ? null : FACTORIES.get(name);
    if (f == null) {
      throw new IllegalArgumentException(
          "unknown balancer '" + name + "', expected one of " + NAMES);
    }
    return f.apply(targets, hashOn);
  }

  /** Available and not excluded. */
  static boolean usable(Target t, Set<Target> exclude) {
    return t.available() && (exclude.isEmpty() || !exclude.contains(t));
  }

  /** Whether any target is usable. */
  static boolean anyUsable(Target[] targets, Set<Target> exclude) {
    for (Target t : targets) {
      if (usable(t, exclude)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Acceptance sampling by score: true with probability score/100. A score of 100 is always
   * accepted without drawing a random number, so healthy upstreams pay nothing for scores.
   */
  static boolean accept(int score) {
    return score >= 100 || (score > 0 && ThreadLocalRandom.current().nextInt(100) < score);
  }
}
