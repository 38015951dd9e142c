package bulwark.routing;

import bulwark.config.BulwarkConfig;
import bulwark.config.FlatRoute;
import bulwark.config.MatchConfig;
import bulwark.config.RouteConfig;
import bulwark.filter.Filter;
import bulwark.filter.Filters;
import bulwark.filter.ratelimit.RateLimitRegistry;
import bulwark.upstream.target.TargetStates;
import bulwark.upstream.UpstreamRuntime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Compiles a validated config into an immutable {@link RouteTable}. Runs off the event loop. */
public final class RouteTableCompiler {
  private RouteTableCompiler() {}

  /**
   * @param previous the upstreams of the table being replaced (empty on first start). An upstream
   *     whose config did not change is reused as is, keeping its connection pools.
   */
  public static RouteTable compile(BulwarkConfig cfg, TargetStates states, Map<String, UpstreamRuntime> previous, long generation) {
    // a throwaway registry: local rate limits get fresh buckets, and no Redis connection is opened
    // (a scope: cluster middleware is refused); the gateway passes its own registry instead
    RateLimitRegistry rateLimits = new RateLimitRegistry();
    rateLimits.prepare(null);
    return compile(cfg, states, previous, generation, rateLimits);
  }

  /**
   * @param rateLimits the gateway's rate-limit state: unchanged rateLimit middlewares keep their
   *     buckets across compiles ({@link RateLimitRegistry#prepare} must have been called)
   */
  public static RouteTable compile(BulwarkConfig cfg, TargetStates states, Map<String, UpstreamRuntime> previous, long generation, RateLimitRegistry rateLimits) {
    return compile(cfg, states, previous, generation, rateLimits, bulwark.observe.Telemetry.NONE);
  }

  /** @param telemetry the gateway's: new upstreams report their breaker transitions to it */
  public static RouteTable compile(BulwarkConfig cfg, TargetStates states, Map<String, UpstreamRuntime> previous, long generation,
      RateLimitRegistry rateLimits, bulwark.observe.Telemetry telemetry) {
    Map<String, UpstreamRuntime> upstreams = new LinkedHashMap<>();
    cfg.upstreams().forEach((name, uc) -> {
      UpstreamRuntime old = previous.get(name);
      upstreams.put(name, old != null && old.config().equals(uc) ? old : new UpstreamRuntime(name, uc, states, java.time.Clock.systemUTC(), telemetry));
    });
    Map<String, Filter> filters = new HashMap<>();
    cfg.middlewares().forEach((name, mc) -> filters.put(name, Filters.newFilter(name, mc, rateLimits)));
    List<Route> routes = new ArrayList<>();
    for (FlatRoute fr : FlatRoute.flatten(cfg)) {
      RouteConfig rc = fr.route();
      MatchConfig m = rc.match();
      List<String> mws = List.copyOf(new LinkedHashSet<>(fr.middlewares()));
      Filter[] chain = mws.stream().map(filters::get).toArray(Filter[]::new);
      Set<String> methods = new LinkedHashSet<>(m.methods());
      bulwark.filter.cors.CorsFilter.allowPreflight(methods, chain);
      routes.add(new Route(
          rc.name(),
          fr.path(),
          fr.pattern(),
          methods,
          m.host() == null ? null : HostMatcher.of(m.host()),
          m.headers().entrySet().stream().map(e -> ValueMatcher.of(e.getKey(), e.getValue())).toList(),
          m.query().entrySet().stream().map(e -> ValueMatcher.of(e.getKey(), e.getValue())).toList(),
          rc.version(),
          upstreams.get(rc.upstream()),
          chain,
          mws,
          fr.stripPrefix(),
          rc.rewrite(),
          rc.timeout() == null ? 0 : rc.timeout().toMillis(),
          fr.order(),
          rc.retryNonIdempotent(),
          Fallback.of(rc.fallback(), upstreams)));
    }
    return new RouteTable(routes, upstreams, cfg.versioning(), generation);
  }
}
