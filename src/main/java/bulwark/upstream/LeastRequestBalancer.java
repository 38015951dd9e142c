package bulwark.upstream;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * "least_request": power of two choices. Two distinct random available targets are drawn and the
 * one with fewer in-flight requests relative to its weight (inFlight/weight) wins; on a tie the
 * winner is drawn at random in proportion to weight.
 */
final class LeastRequestBalancer implements Balancer {
  private final Target[] targets;

  LeastRequestBalancer(List<Target> targets) {
    this.targets = targets.toArray(Target[]::new);
  }

  @Override
  public Target pick(String hashKey) {
    int available = 0;
    for (Target t : targets) {
      if (t.available()) {
        available++;
      }
    }
    if (available == 0) {
      return null;
    }
    if (available == 1) {
      int i = Balancers.firstAvailable(targets);
      return i < 0 ? null : targets[i];
    }
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    int r1 = rnd.nextInt(available);
    int r2 = rnd.nextInt(available - 1);
    if (r2 >= r1) {
      r2++;
    }
    Target a = nthAvailable(r1);
    Target b = nthAvailable(r2);
    if (a == null || b == null || a == b) { // availability changed concurrently
      return a != null ? a : b;
    }
    // a.inFlight/a.weight vs b.inFlight/b.weight, by cross-multiplication
    long ca = (long) a.state().inFlight() * b.weight();
    long cb = (long) b.state().inFlight() * a.weight();
    if (ca != cb) {
      return ca < cb ? a : b;
    }
    return rnd.nextInt(a.weight() + b.weight()) < a.weight() ? a : b;
  }

  private Target nthAvailable(int n) {
    for (Target t : targets) {
      if (t.available() && n-- == 0) {
        return t;
      }
    }
    return null;
  }
}
