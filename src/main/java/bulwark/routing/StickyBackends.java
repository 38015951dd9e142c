package bulwark.routing;

import bulwark.upstream.HashOn;
import bulwark.upstream.UpstreamRuntime;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A weighted split that keeps a key (stickyOn) on its backend: weighted rendezvous hashing. Each
 * backend scores a key {@code -ln(h(key, backend)) / weight}, with h uniform in (0, 1), and the
 * lowest score wins. A backend wins a share of the keys equal to its share of the weights, and when
 * the weights change a key moves only if its winner changes: growing one backend's weight (or
 * shrinking another's) moves keys only towards the grown backend, the fewest keys that must move. A
 * request without the key is placed at random by weight. Failover goes to the next backends in the
 * key's score order.
 */
final class StickyBackends implements Backends {
  private final WeightedBackends unkeyed;
  private final HashOn key;
  private final UpstreamRuntime[] ups;
  private final double[] weights;
  private final long[] seeds;
  private final boolean failover;

  StickyBackends(List<Weighted> weights, HashOn key, boolean failover) {
    this.unkeyed = new WeightedBackends(weights, failover);
    this.key = key;
    this.failover = failover;
    int n = weights.size();
    ups = new UpstreamRuntime[n];
    this.weights = new double[n];
    seeds = new long[n];
    for (int i = 0; i < n; i++) {
      ups[i] = weights.get(i).upstream();
      this.weights[i] = weights.get(i).weight();
      seeds[i] = hash(ups[i].name());
    }
  }

  @Override
  public UpstreamRuntime select(HashOn.Source request) {
    String k = key.keyOf(request);
    return k == null ? unkeyed.select(request) : ups[winner(hash(k), List.of())];
  }

  @Override
  public UpstreamRuntime failover(HashOn.Source request, List<UpstreamRuntime> tried) {
    if (!failover) return null;
    String k = key.keyOf(request);
    if (k == null) return unkeyed.failover(request, tried);
    int i = winner(hash(k), tried);
    return i < 0 ? null : ups[i];
  }

  /** The index of the lowest-scoring backend of non-zero weight not in {@code skip}, or -1. */
  private int winner(long keyHash, List<UpstreamRuntime> skip) {
    int best = -1;
    double bestScore = Double.POSITIVE_INFINITY;
    for (int i = 0; i < ups.length; i++) {
      if (weights[i] <= 0 || skip.contains(ups[i])) continue;
      double s = score(keyHash, seeds[i], weights[i]);
      if (best < 0 || s < bestScore) {
        best = i;
        bestScore = s;
      }
    }
    return best;
  }

  /** Backend {@code seed}'s score for a key: -ln(h) / weight, h uniform in (0, 1). */
  static double score(long keyHash, long seed, double weight) {
    long h = mix(keyHash ^ seed);
    double unit = ((h >>> 11) + 0.5) * 0x1.0p-53;
    return -Math.log(unit) / weight;
  }

  /** A 64-bit hash of {@code s} (FNV-1a over its UTF-8 bytes, then mixed). */
  static long hash(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return mix(h);
  }

  /** MurmurHash3's 64-bit finaliser. */
  static long mix(long z) {
    z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
    z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return z ^ (z >>> 33);
  }

  @Override
  public UpstreamRuntime primary() {
    return unkeyed.primary();
  }

  @Override
  public List<Weighted> weights() {
    return new ArrayList<>(unkeyed.weights());
  }
}
