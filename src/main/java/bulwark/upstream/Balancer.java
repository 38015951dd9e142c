package bulwark.upstream;

/**
 * Chooses a target for a request. One instance per upstream per config generation, built with
 * that upstream's target list, shared by all event-loop threads: must be thread-safe and lock-free
 * on pick().
 */
public interface Balancer {
  /**
   * Returns an available target, or null when none is available. hashKey is used only by
   * consistent_hash (null there -> pick like random).
   */
  Target pick(String hashKey);

  /**
   * Like {@link #pick(String)} but never returns a target in {@code exclude} (those a request has
   * already tried). Returns null when every available target is excluded.
   */
  default Target pick(String hashKey, java.util.Set<Target> exclude) {
    if (exclude.isEmpty()) return pick(hashKey);
    for (int i = 0; i < 8; i++) {
      Target t = pick(i == 0 ? hashKey : null);
      if (t == null) return null;
      if (!exclude.contains(t)) return t;
    }
    return null;
  }
}
