package bulwark.filter.registry;

import bulwark.config.BulwarkConfig;
import bulwark.config.FlatRoute;
import bulwark.filter.Filter;
import bulwark.filter.cors.CorsFilter;
import bulwark.filter.ratelimit.RateLimitRegistry;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the filter chain of every route, once per compile: each middleware is built once and
 * shared by the routes that name it. The chains are indexed by the route's id (its position in
 * {@link FlatRoute#flatten}, as {@code RouteTableCompiler} numbers them), so the proxy finds a
 * route's chain with one array read.
 */
public final class FilterChains {
  private FilterChains() {}

  /**
   * A throwaway rate-limit registry: local rate limits get fresh buckets, and no Redis connection
   * is opened (a scope: cluster middleware is refused). The gateway passes its own registry
   * instead.
   */
  public static Filter[][] compile(BulwarkConfig cfg) {
    RateLimitRegistry rateLimits = new RateLimitRegistry();
    rateLimits.prepare(null);
    return compile(cfg, rateLimits);
  }

  /**
   * @param rateLimits the gateway's rate-limit state: unchanged rateLimit middlewares keep their
   *     buckets across compiles ({@link RateLimitRegistry#prepare} must have been called)
   * @return per route id, its chain (enclosing groups' middlewares first)
   */
  public static Filter[][] compile(BulwarkConfig cfg, RateLimitRegistry rateLimits) {
    Map<String, Filter> filters = new HashMap<>();
    cfg.middlewares()
        .forEach((name, mc) -> filters.put(name, Filters.newFilter(name, mc, rateLimits)));
    List<FlatRoute> flat = FlatRoute.flatten(cfg);
    Filter[][] chains = new Filter[flat.size()][];
    for (int id = 0; id < chains.length; id++) {
      FlatRoute fr = flat.get(id);
      List<String> mws = List.copyOf(new LinkedHashSet<>(fr.middlewares()));
      Filter[] chain = mws.stream().map(filters::get).toArray(Filter[]::new);
      // the route's own methods (RouteTableCompiler adds OPTIONS by the same rule)
      Set<String> methods = new LinkedHashSet<>(fr.route().match().methods());
      CorsFilter.allowPreflight(methods, chain);
      chains[id] = chain;
    }
    return chains;
  }
}
