package bulwark.upstream.resilience;

import bulwark.config.AdaptiveAlgorithm;
import bulwark.config.AdaptiveConcurrencyConfig;

/**
 * An adaptive concurrency limit in the spirit of Netflix concurrency-limits. The limit moves with
 * each sample (round-trip time of one call, and whether it was dropped: a timeout, a 5xx or a
 * refusal); requests past it are shed at once. Samples come from every event loop, so updates are
 * synchronized on this small object, off the per-request fast path (reading the limit is a volatile
 * read).
 *
 * <ul>
 *   <li>{@code aimd}: +1 when a sample arrives with at least half the limit in flight and the call
 *       was fine and faster than the latency threshold; x0.9 otherwise (timeout, 5xx, too slow).
 *   <li>{@code gradient}: a long-term average RTT (the no-load baseline, slowly following) against
 *       the recent RTT; the gradient long/recent (clamped to 0.5..1) scales the limit, plus a queue
 *       allowance of sqrt(limit), smoothed. Latency rising above the baseline shrinks the limit
 *       before it explodes; a drop halves the gradient's floor.
 * </ul>
 */
public final class ConcurrencyLimiter {
  private final boolean aimd;
  private final int min;
  private final int max;
  private final long thresholdNanos;
  private volatile double limit;
  // gradient state
  private double longRtt = -1;
  private double shortRtt = -1;

  public ConcurrencyLimiter(AdaptiveConcurrencyConfig c) {
    this.aimd = c.algorithm() == AdaptiveAlgorithm.AIMD;
    this.min = c.minLimit();
    this.max = c.maxLimit();
    this.thresholdNanos = c.latencyThreshold().toNanos();
    this.limit = c.initialLimit();
  }

  public int limit() {
    return (int) limit;
  }

  /**
   * One finished call: its round-trip time, the in-flight count when it started, and whether it was
   * dropped.
   */
  public synchronized void onSample(long rttNanos, int inFlight, boolean dropped) {
    double l = limit;
    if (aimd) {
      if (dropped || rttNanos > thresholdNanos) l = l * 0.9;
      else if (inFlight * 2 >= l) l = l + 1;
    } else {
      double rtt = rttNanos;
      longRtt = longRtt < 0 ? rtt : longRtt * 0.99 + rtt * 0.01;
      shortRtt = shortRtt < 0 ? rtt : shortRtt * 0.8 + rtt * 0.2;
      if (dropped) {
        l = l * 0.5;
      } else if (inFlight * 2 >= l || shortRtt > longRtt) {
        double gradient = Math.max(0.5, Math.min(1.0, longRtt / shortRtt));
        double next = l * gradient + Math.sqrt(l);
        l = l * 0.8 + next * 0.2;
      }
      // let the baseline drift back down after a slow period
      if (longRtt > shortRtt * 2) longRtt = shortRtt * 2;
    }
    limit = Math.max(min, Math.min(max, l));
  }
}
