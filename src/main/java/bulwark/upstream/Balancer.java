package bulwark.upstream;

import bulwark.upstream.target.Target;
import java.util.Set;

/**
 * Chooses a target for a request. One instance per upstream per config generation, built with that
 * upstream's target list, shared by all event-loop threads: must be thread-safe and lock-free on
 * pick().
 *
 * <p>Every balancer skips targets that are not {@link Target#available() available} (DOWN, ejected,
 * drained or taken out) and weights traffic by weight × score / 100, where the score (0 to 100)
 * comes from active health checks. With every score at 100 (no active checks, or all healthy) that
 * costs one volatile read per candidate and no random draw, allocation or lock.
 */
public interface Balancer {
  /**
   * Returns an available target not in {@code exclude} (the targets a request has already tried),
   * or null when there is none. hashKey is used only by consistent_hash (null there: pick like
   * random).
   */
  Target pick(String hashKey, Set<Target> exclude);

  /**
   * Picks for {@code request}: a balancer that hashes (consistent_hash) computes the request's key
   * by its {@link HashOn}; the others do not look at the request.
   */
  default Target pickFor(HashOn.Source request, Set<Target> exclude) {
    return pick((String) null, exclude);
  }

  /** {@link #pick(String, Set)} with nothing excluded. */
  default Target pick(String hashKey) {
    return pick(hashKey, Set.of());
  }
}
