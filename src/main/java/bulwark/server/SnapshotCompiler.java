package bulwark.server;

import bulwark.config.BulwarkConfig;
import bulwark.filter.Filter;
import bulwark.filter.ratelimit.RateLimitRegistry;
import bulwark.filter.registry.FilterChains;
import bulwark.observe.Telemetry;
import bulwark.proxy.ForwardingHeaders;
import bulwark.proxy.Snapshot;
import bulwark.routing.RouteTable;
import bulwark.routing.RouteTableCompiler;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.target.TargetStates;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Compiles a config into the snapshot the data plane serves: the route table (upstreams kept from
 * the previous snapshot when their config is unchanged), the filter chain of each route (each
 * middleware built once per compile), the forwarding-header rules and the body cap. A function of
 * the config and the previous snapshot; it publishes nothing and starts nothing, so a config that
 * does not compile leaves the serving one untouched. The live state that outlives reloads (target
 * states, rate-limit buckets) is handed in once, as is where the compiled parts report (telemetry).
 */
final class SnapshotCompiler {
  private final TargetStates states;
  private final RateLimitRegistry rateLimits;
  private final Supplier<Telemetry> telemetry;

  SnapshotCompiler(
      TargetStates states, RateLimitRegistry rateLimits, Supplier<Telemetry> telemetry) {
    this.states = states;
    this.rateLimits = rateLimits;
    this.telemetry = telemetry;
  }

  /**
   * @param previous the serving snapshot, null at startup
   * @param generation the number of the new route table
   */
  Snapshot compile(BulwarkConfig cfg, Snapshot previous, long generation) {
    Map<String, UpstreamRuntime> upstreams =
        previous == null ? Map.of() : previous.table().upstreams();
    RouteTable table =
        RouteTableCompiler.compile(cfg, states, upstreams, generation, telemetry.get());
    Filter[][] chains = FilterChains.compile(cfg, rateLimits);
    return new Snapshot(
        cfg,
        table,
        chains,
        ForwardingHeaders.of(cfg),
        cfg.server().limits().maxBodyBytes().bytes());
  }
}
