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
}
