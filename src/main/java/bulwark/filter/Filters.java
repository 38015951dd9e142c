package bulwark.filter;

import bulwark.config.MiddlewareConfig;
import bulwark.filter.ratelimit.RateLimitRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Builds filters from middleware config. Each type is registered under an explicit name, never one
 * derived from a class name. Tests may register extra types.
 */
public final class Filters {
  private static final Map<String, Function<MiddlewareConfig, Filter>> EXTRA = new ConcurrentHashMap<>();

  private Filters() {}

  /**
   * @param rateLimits the gateway's rate-limit state, which outlives this compile (buckets, the
   *     Redis link)
   */
  public static Filter newFilter(String name, MiddlewareConfig config, RateLimitRegistry rateLimits) {
    Function<MiddlewareConfig, Filter> f = EXTRA.get(name);
    if (f != null) return f.apply(config);
    if (config.headers() != null) return new HeadersFilter(config.headers());
    if (config.rateLimit() != null) return rateLimits.filter(name, config.rateLimit());
    if (config.jwt() != null) return bulwark.filter.auth.JwtFilter.of(name, config.jwt(), java.time.Clock.systemUTC());
    if (config.introspection() != null) return bulwark.filter.auth.IntrospectionFilter.of(name, config.introspection(), java.time.Clock.systemUTC());
    if (config.apiKey() != null) return new bulwark.filter.auth.apikey.ApiKeyFilter(config.apiKey());
    if (config.basicAuth() != null) return new bulwark.filter.auth.basic.BasicAuthFilter(config.basicAuth());
    if (config.cors() != null) return new bulwark.filter.cors.CorsFilter(config.cors());
    if (config.ipRules() != null) return new bulwark.filter.ip.IpRulesFilter(config.ipRules());
    throw new IllegalArgumentException("middleware '" + name + "' has no supported type");
  }

  /** For tests: a middleware with this name is built by {@code factory}, whatever its config. */
  public static void registerForTests(String name, Function<MiddlewareConfig, Filter> factory) {
    EXTRA.put(name, factory);
  }
}
