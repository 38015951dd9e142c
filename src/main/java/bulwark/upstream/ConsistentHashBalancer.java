package bulwark.upstream;

import bulwark.upstream.target.Target;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * "consistent_hash": a hash ring with {@value #POINTS_PER_WEIGHT} × weight virtual nodes per
 * target, placed at hash(targetKey + "#" + i). A request key maps to the first point clockwise from
 * its hash; if that point's owner is unavailable the walk continues clockwise to the next available
 * owner. Points depend only on the target's key and weight, so removing a target moves only the
 * keys it owned. A null hashKey is balanced like "random".
 *
 * <p>A target with a score under 100 keeps a fixed score% of the keys that land on it, chosen by a
 * hash of the key and the target, so a key's choice stays stable while scores do; the others walk
 * on clockwise. When every usable owner would let a key go, it stays with the first usable one.
 */
final class ConsistentHashBalancer implements Balancer {
  static final int POINTS_PER_WEIGHT = 160;

  private final Target[] targets;
  private final long[] salts; // per target, hash of its key, for the score share
  private final long[] points; // sorted ring positions
  private final int[] owners; // owners[i] = index into targets of points[i]
  private final RandomBalancer fallback;
  private final HashOn hashOn;

  ConsistentHashBalancer(List<Target> targets) {
    this(targets, HashOn.CLIENT_IP);
  }

  ConsistentHashBalancer(List<Target> targets, HashOn hashOn) {
    this.hashOn = hashOn;
    this.targets = targets.toArray(Target[]::new);
    this.fallback = new RandomBalancer(targets);
    this.salts = new long[this.targets.length];
    for (int t = 0; t < salts.length; t++) {
      salts[t] = hash(this.targets[t].key());
    }
    int n = 0;
    for (Target t : this.targets) {
      n += POINTS_PER_WEIGHT * t.weight();
    }
    long[] hashes = new long[n];
    int[] idx = new int[n];
    int p = 0;
    for (int t = 0; t < this.targets.length; t++) {
      String key = this.targets[t].key();
      for (int i = 0, count = POINTS_PER_WEIGHT * this.targets[t].weight(); i < count; i++) {
        hashes[p] = hash(key + "#" + i);
        idx[p++] = t;
      }
    }
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    // ties (astronomically unlikely) are broken by target key so the ring is order independent
    Arrays.sort(
        order,
        (x, y) -> {
          int c = Long.compare(hashes[x], hashes[y]);
          return c != 0 ? c : this.targets[idx[x]].key().compareTo(this.targets[idx[y]].key());
        });
    this.points = new long[n];
    this.owners = new int[n];
    for (int i = 0; i < n; i++) {
      points[i] = hashes[order[i]];
      owners[i] = idx[order[i]];
    }
  }

  @Override
  public Target pickFor(HashOn.Source request, Set<Target> exclude) {
    return pick(request == null ? null : hashOn.keyOf(request), exclude);
  }

  @Override
  public Target pick(String hashKey, Set<Target> exclude) {
    if (hashKey == null) {
      return fallback.pick(null, exclude);
    }
    int n = points.length;
    if (n == 0) {
      return null;
    }
    long h = hash(hashKey);
    int start = Arrays.binarySearch(points, h);
    if (start < 0) {
      start = -start - 1; // insertion point: first point greater than the hash
    }
    Target first = null;
    for (int i = 0; i < n; i++) {
      int o = owners[(start + i) % n];
      Target t = targets[o];
      if (Balancers.usable(t, exclude)) {
        int score = t.state().score();
        if (score >= 100 || keeps(h, salts[o], score)) {
          return t;
        }
        if (first == null) {
          first = t;
        }
      } else if (i == 0 && !Balancers.anyUsable(targets, exclude)) {
        return null; // don't walk the whole ring when everything is down
      }
    }
    return first;
  }

  /** Whether a target with this score (under 100) keeps this key: true for score% of keys. */
  static boolean keeps(long keyHash, long salt, int score) {
    long x = keyHash ^ salt;
    x ^= x >>> 33;
    x *= 0xff51afd7ed558ccdL;
    x ^= x >>> 33;
    return Math.floorMod(x, 100L) < score;
  }

  /** 64-bit hash: FNV-1a over the UTF-16 chars, finished with murmur3's fmix64 avalanche. */
  static long hash(CharSequence s) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0, len = s.length(); i < len; i++) {
      h ^= s.charAt(i);
      h *= 0x100000001b3L;
    }
    h ^= s.length();
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb93fe53a87c3L;
    h ^= h >>> 33;
    return h;
  }
}
