package bulwark.routing;

import bulwark.upstream.HashOn;
import bulwark.upstream.UpstreamRuntime;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A weighted split without stickiness: each request picks a backend at random with probability
 * weight / total (a backend of weight 0 is never picked). Failover goes to the other backends of
 * non-zero weight, heaviest first.
 */
final class WeightedBackends implements Backends {
  private final List<Weighted> weights;
  private final UpstreamRuntime[] ups;

  /** Cumulative weights: backend i is picked for r in [cumulative[i-1], cumulative[i]). */
  private final int[] cumulative;

  /** The backends of non-zero weight, heaviest first (config order among equals). */
  private final List<UpstreamRuntime> byWeight;

  private final boolean failover;

  WeightedBackends(List<Weighted> weights, boolean failover) {
    this.weights = List.copyOf(weights);
    this.failover = failover;
    ups = new UpstreamRuntime[weights.size()];
    cumulative = new int[weights.size()];
    int sum = 0;
    for (int i = 0; i < ups.length; i++) {
      ups[i] = weights.get(i).upstream();
      sum += weights.get(i).weight();
      cumulative[i] = sum;
    }
    byWeight = heaviestFirst(weights);
  }

  static List<UpstreamRuntime> heaviestFirst(List<Weighted> weights) {
    return weights.stream()
        .filter(w -> w.weight() > 0)
        .sorted(Comparator.comparingInt(Weighted::weight).reversed())
        .map(Weighted::upstream)
        .toList();
  }

  @Override
  public UpstreamRuntime select(HashOn.Source request) {
    return pick(ThreadLocalRandom.current().nextInt(cumulative[cumulative.length - 1]));
  }

  /** The backend whose cumulative range holds {@code r}, 0 <= r < total. */
  UpstreamRuntime pick(int r) {
    for (int i = 0; i < cumulative.length; i++) if (r < cumulative[i]) return ups[i];
    return ups[ups.length - 1];
  }

  @Override
  public UpstreamRuntime failover(HashOn.Source request, List<UpstreamRuntime> tried) {
    return failover ? firstUntried(byWeight, tried) : null;
  }

  static UpstreamRuntime firstUntried(List<UpstreamRuntime> order, List<UpstreamRuntime> tried) {
    for (UpstreamRuntime u : order) if (!tried.contains(u)) return u;
    return null;
  }

  @Override
  public UpstreamRuntime primary() {
    return byWeight.get(0);
  }

  @Override
  public List<Weighted> weights() {
    return weights;
  }
}
