package bulwark.upstream;

import bulwark.upstream.target.Target;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * "random": weighted random choice over the available targets, each weighted by weight × score (by
 * weight alone when every usable target scores 0).
 */
final class RandomBalancer implements Balancer {
  private final Target[] targets;

  RandomBalancer(List<Target> targets) {
    this.targets = targets.toArray(Target[]::new);
  }

  @Override
  public Target pick(String hashKey, Set<Target> exclude) {
    long total = 0;
    long weights = 0;
    for (Target t : targets) {
      if (Balancers.usable(t, exclude)) {
        weights += t.weight();
        total += (long) t.weight() * t.state().score();
      }
    }
    if (weights == 0) {
      return null;
    }
    boolean byScore = total > 0;
    long r = ThreadLocalRandom.current().nextLong(byScore ? total : weights);
    Target last = null;
    for (Target t : targets) {
      if (Balancers.usable(t, exclude)) {
        last = t;
        r -= byScore ? (long) t.weight() * t.state().score() : t.weight();
        if (r < 0) {
          return t;
        }
      }
    }
    return last; // availability or scores changed concurrently between the two scans
  }
}
