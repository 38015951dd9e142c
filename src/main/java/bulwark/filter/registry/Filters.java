package bulwark.filter.registry;

import bulwark.config.MiddlewareConfig;
import bulwark.filter.Filter;
import bulwark.filter.HeadersFilter;
import bulwark.filter.auth.IntrospectionFilter;
import bulwark.filter.auth.JwtFilter;
import bulwark.filter.auth.apikey.ApiKeyFilter;
import bulwark.filter.auth.basic.BasicAuthFilter;
import bulwark.filter.compress.CompressionFilter;
import bulwark.filter.cors.CorsFilter;
import bulwark.filter.fault.FaultFilter;
import bulwark.filter.ip.IpRulesFilter;
import bulwark.filter.ratelimit.RateLimitRegistry;
import bulwark.filter.redirect.RedirectFilter;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Builds filters from middleware config. Each type is registered under an explicit name, never one
 * derived from a class name. Tests may register extra types. Sits above the filter packages it
 * builds from (they import bulwark.filter; this registry imports them).
 */
public final class Filters {
  private static final Map<String, Function<MiddlewareConfig, Filter>> EXTRA =
      new ConcurrentHashMap<>();

  private Filters() {}

  /**
   * @param rateLimits the gateway's rate-limit state, which outlives this compile (buckets, the
   *     Redis link)
   */
  public static Filter newFilter(
      String name, MiddlewareConfig config, RateLimitRegistry rateLimits) {
    Function<MiddlewareConfig, Filter> f = EXTRA.get(name);
    if (f != null) return f.apply(config);
    if (config.headers() != null) return new HeadersFilter(config.headers());
    if (config.rateLimit() != null) return rateLimits.filter(name, config.rateLimit());
    if (config.jwt() != null) return JwtFilter.of(name, config.jwt(), Clock.systemUTC());
    if (config.introspection() != null)
      return IntrospectionFilter.of(name, config.introspection(), Clock.systemUTC());
    if (config.apiKey() != null) return new ApiKeyFilter(config.apiKey());
    if (config.basicAuth() != null) return new BasicAuthFilter(config.basicAuth());
    if (config.cors() != null) return new CorsFilter(config.cors());
    if (config.ipRules() != null) return new IpRulesFilter(config.ipRules());
    if (config.fault() != null) return new FaultFilter(name, config.fault());
    if (config.redirect() != null) return new RedirectFilter(config.redirect());
    if (config.compression() != null) return CompressionFilter.of(config.compression());
    throw new IllegalArgumentException("middleware '" + name + "' has no supported type");
  }

  /** For tests: a middleware with this name is built by {@code factory}, whatever its config. */
  public static void registerForTests(String name, Function<MiddlewareConfig, Filter> factory) {
    EXTRA.put(name, factory);
  }
}
