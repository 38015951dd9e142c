package bulwark.upstream;

import bulwark.upstream.target.Target;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * "least_request": power of two choices. Two distinct random usable targets are drawn and the one
 * with fewer in-flight requests relative to its capacity wins, capacity being weight × score (a
 * score of 0 counts as 1); on a tie the winner is drawn at random in proportion to capacity, so
 * idle targets share traffic by weight × score.
 */
final class LeastRequestBalancer implements Balancer {
  private final Target[] targets;

  LeastRequestBalancer(List<Target> targets) {
    this.targets = targets.toArray(Target[]::new);
  }

  @Override
  public Target pick(String hashKey, Set<Target> exclude) {
    int usable = 0;
    Target only = null;
    for (Target t : targets) {
      if (Balancers.usable(t, exclude)) {
        usable++;
        only = t;
      }
    }
    if (usable <= 1) {
      return only;
    }
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    int r1 = rnd.nextInt(usable);
    int r2 = rnd.nextInt(usable - 1);
    if (r2 >= r1) {
      r2++;
    }
    Target a = nthUsable(r1, exclude);
    Target b = nthUsable(r2, exclude);
    if (a == null || b == null || a == b) { // availability changed concurrently
      return a != null ? a : b;
    }
    long capA = (long) a.weight() * Math.max(1, a.state().score());
    long capB = (long) b.weight() * Math.max(1, b.state().score());
    // a.inFlight/capA vs b.inFlight/capB, by cross-multiplication
    long ca = a.state().inFlight() * capB;
    long cb = b.state().inFlight() * capA;
    if (ca != cb) {
      return ca < cb ? a : b;
    }
    return rnd.nextLong(capA + capB) < capA ? a : b;
  }

  private Target nthUsable(int n, Set<Target> exclude) {
    for (Target t : targets) {
      if (Balancers.usable(t, exclude) && n-- == 0) {
        return t;
      }
    }
    return null;
  }
}
