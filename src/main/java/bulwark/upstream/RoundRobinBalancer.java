package bulwark.upstream;

import bulwark.upstream.target.Target;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * "round_robin": smooth weighted round robin as in nginx (weights a=5,b=1,c=1 give a a b a c a a).
 *
 * <p>One period of the sequence is precomputed into an int[] and indexed by an atomic counter, so
 * pick() is lock-free. Weights are first divided by their gcd; if the period would still exceed
 * {@link #MAX_PERIOD}, weights are scaled down proportionally (each stays at least 1). An
 * unavailable (or excluded) target's slot is skipped by advancing the counter, so the remaining
 * targets keep their exact relative weights.
 *
 * <p>Scores are applied by acceptance sampling: a target with a score under 100 keeps its slot with
 * probability score/100, otherwise the counter moves on, so its share of traffic is scaled by
 * score/100. When every usable target keeps being rejected (all scores very low), the one with the
 * best score seen is returned rather than nothing.
 */
final class RoundRobinBalancer implements Balancer {
  static final int MAX_PERIOD = 1 << 16;

  private final Target[] targets;
  private final int[] sequence;
  private final AtomicLong counter = new AtomicLong();

  RoundRobinBalancer(List<Target> targets) {
    this.targets = targets.toArray(Target[]::new);
    this.sequence = smoothSequence(effectiveWeights(this.targets));
  }

  @Override
  public Target pick(String hashKey, Set<Target> exclude) {
    int period = sequence.length;
    if (period == 0) {
      return null;
    }
    Target best = null;
    for (int attempt = 0, limit = 2 * period + 32; attempt < limit; attempt++) {
      long n = counter.getAndIncrement();
      Target t = targets[sequence[(int) Math.floorMod(n, (long) period)]];
      if (!Balancers.usable(t, exclude)) {
        if (attempt == 0 && !Balancers.anyUsable(targets, exclude)) {
          return null; // don't spin through a whole period when everything is down
        }
        continue;
      }
      int score = t.state().score();
      if (Balancers.accept(score)) {
        return t;
      }
      if (best == null || score > best.state().score()) {
        best = t;
      }
    }
    return best;
  }

  /** Weights divided by their gcd, then capped so that their sum stays near MAX_PERIOD. */
  static int[] effectiveWeights(Target[] targets) {
    int[] w = new int[targets.length];
    int g = 0;
    for (int i = 0; i < w.length; i++) {
      w[i] = targets[i].weight();
      g = gcd(g, w[i]);
    }
    long sum = 0;
    for (int i = 0; i < w.length; i++) {
      w[i] /= g;
      sum += w[i];
    }
    if (sum > MAX_PERIOD) {
      for (int i = 0; i < w.length; i++) {
        w[i] = (int) Math.max(1, w[i] * (long) MAX_PERIOD / sum);
      }
    }
    return w;
  }

  /** One period of nginx's smooth weighted round robin: indexes into the weights array. */
  static int[] smoothSequence(int[] weights) {
    int total = 0;
    for (int w : weights) {
      total += w;
    }
    int[] seq = new int[total];
    long[] current = new long[weights.length];
    for (int s = 0; s < total; s++) {
      int best = -1;
      for (int i = 0; i < weights.length; i++) {
        current[i] += weights[i];
        if (best < 0 || current[i] > current[best]) {
          best = i;
        }
      }
      current[best] -= total;
      seq[s] = best;
    }
    return seq;
  }

  private static int gcd(int a, int b) {
    while (b != 0) {
      int t = a % b;
      a = b;
      b = t;
    }
    return a;
  }
}
