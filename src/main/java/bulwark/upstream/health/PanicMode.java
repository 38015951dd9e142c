package bulwark.upstream.health;

import bulwark.upstream.target.Target;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Panic mode (Envoy's): when no target is usable, spread traffic over all of them rather than
 * refuse it. Entering it is a WARN and leaving it an INFO, once each.
 */
final class PanicMode {
  // the documented logger name of every health transition (docs/health.md)
  private static final Logger LOG = LoggerFactory.getLogger(UpstreamHealth.class);

  private final String upstream;
  private final boolean enabled;
  private final List<Target> targets;
  private final AtomicBoolean panicking = new AtomicBoolean();

  PanicMode(String upstream, boolean enabled, List<Target> targets) {
    this.upstream = upstream;
    this.enabled = enabled;
    this.targets = targets;
  }

  boolean enabled() {
    return enabled;
  }

  boolean panicking() {
    return panicking.get();
  }

  /**
   * A random target by weight, usable or not, that is not in {@code exclude} nor taken out by hand.
   * A retry (exclude not empty) while some target is still usable gets null instead: it has simply
   * run out of usable targets, which is not a panic.
   */
  Target pick(Set<Target> exclude) {
    if (!exclude.isEmpty()) {
      for (Target t : targets) {
        if (t.available()) {
          return null;
        }
      }
    }
    long total = 0;
    for (Target t : targets) {
      if (!exclude.contains(t) && !t.state().forcedOut()) {
        total += t.weight();
      }
    }
    if (total == 0) {
      return null;
    }
    if (panicking.compareAndSet(false, true)) {
      LOG.warn(
          "upstream '{}': no usable target, panic mode spreads traffic over all {} targets",
          upstream,
          targets.size());
    }
    long r = ThreadLocalRandom.current().nextLong(total);
    Target last = null;
    for (Target t : targets) {
      if (!exclude.contains(t) && !t.state().forcedOut()) {
        last = t;
        r -= t.weight();
        if (r < 0) {
          return t;
        }
      }
    }
    return last;
  }

  /** A usable target was picked again. */
  void over() {
    if (panicking.compareAndSet(true, false)) {
      LOG.info("upstream '{}': a target is usable again, panic mode ends", upstream);
    }
  }
}
