package bulwark.upstream;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** "random": weighted random choice over the available targets. */
final class RandomBalancer implements Balancer {
  private final Target[] targets;

  RandomBalancer(List<Target> targets) {
    this.targets = targets.toArray(Target[]::new);
  }

  @Override
  public Target pick(String hashKey) {
    long total = 0;
    for (Target t : targets) {
      if (t.available()) {
        total += t.weight();
      }
    }
    if (total == 0) {
      return null;
    }
    long r = ThreadLocalRandom.current().nextLong(total);
    Target last = null;
    for (Target t : targets) {
      if (t.available()) {
        last = t;
        r -= t.weight();
        if (r < 0) {
          return t;
        }
      }
    }
    return last; // availability changed concurrently between the two scans
  }
}
