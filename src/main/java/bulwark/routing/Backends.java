package bulwark.routing;

import bulwark.config.BackendConfig;
import bulwark.config.RouteConfig;
import bulwark.upstream.HashOn;
import bulwark.upstream.UpstreamRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How a route picks the upstream a request goes to (Caddy's Selector): compiled once per route when
 * the table is compiled, immutable, shared by every event loop. A route to one upstream has {@link
 * One}; {@code backends} makes a {@link WeightedBackends} (or, with stickyOn, a {@link
 * StickyBackends}), and canary rules wrap it ({@link CanaryBackends}).
 */
public interface Backends {
  /** The upstream this request goes to first. */
  UpstreamRuntime select(HashOn.Source request);

  /**
   * The next upstream to try when those in {@code tried} (the first being {@link #select}'s) had no
   * usable target, or null when there is none (or failover is off).
   */
  UpstreamRuntime failover(HashOn.Source request, List<UpstreamRuntime> tried);

  /** The upstream that stands for the route where one name is wanted (the heaviest backend). */
  UpstreamRuntime primary();

  /** Each backend and its weight, in config order (one with weight 1 for a plain route). */
  List<Weighted> weights();

  /** A backend and its weight. */
  record Weighted(UpstreamRuntime upstream, int weight) {}

  /**
   * The route's one upstream: no choice to make. Only a canary rule's upstream can fall over to it.
   */
  record One(UpstreamRuntime upstream, boolean failover) implements Backends {
    @Override
    public UpstreamRuntime select(HashOn.Source request) {
      return upstream;
    }

    @Override
    public UpstreamRuntime failover(HashOn.Source request, List<UpstreamRuntime> tried) {
      return failover && !tried.contains(upstream) ? upstream : null;
    }

    @Override
    public UpstreamRuntime primary() {
      return upstream;
    }

    @Override
    public List<Weighted> weights() {
      return List.of(new Weighted(upstream, 1));
    }
  }

  /** The selector of a validated route. */
  static Backends of(RouteConfig rc, Map<String, UpstreamRuntime> upstreams) {
    Backends b;
    if (rc.backends().isEmpty()) {
      b = new One(upstreams.get(rc.upstream()), rc.failover());
    } else {
      List<Weighted> ws = new ArrayList<>();
      for (BackendConfig bc : rc.backends())
        ws.add(new Weighted(upstreams.get(bc.upstream()), bc.weight()));
      b =
          rc.stickyOn() == null
              ? new WeightedBackends(ws, rc.failover())
              : new StickyBackends(ws, HashOn.parse(rc.stickyOn().toString()), rc.failover());
    }
    return rc.canary().isEmpty() ? b : CanaryBackends.of(rc.canary(), upstreams, b);
  }
}
