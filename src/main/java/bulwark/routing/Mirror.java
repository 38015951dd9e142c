package bulwark.routing;

import bulwark.config.MirrorConfig;
import bulwark.upstream.UpstreamRuntime;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A route's traffic mirror, compiled (routes[].mirror): where the copies go, which share of the
 * requests is copied, and its caps. Immutable, shared by every event loop; the copies themselves
 * are the proxy's.
 *
 * @param fraction the share of requests copied, 0 to 1
 * @param maxBodyBytes the largest request body copied
 * @param maxInFlight copies in flight to {@code upstream} at most ({@link
 *     UpstreamRuntime#tryMirror})
 */
public record Mirror(
    UpstreamRuntime upstream, double fraction, long maxBodyBytes, int maxInFlight) {

  static Mirror of(MirrorConfig c, Map<String, UpstreamRuntime> upstreams) {
    if (c == null) return null;
    return new Mirror(
        upstreams.get(c.upstream()), c.percent().fraction(), c.maxBody().bytes(), c.maxInFlight());
  }

  /** Whether this request is copied: a draw against the share (none at 0%, every one at 100%). */
  public boolean sampled() {
    return fraction >= 1 || fraction > 0 && ThreadLocalRandom.current().nextDouble() < fraction;
  }
}
