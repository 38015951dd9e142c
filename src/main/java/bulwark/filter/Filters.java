package bulwark.filter;

import bulwark.config.MiddlewareConfig;
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

  public static Filter newFilter(String name, MiddlewareConfig config) {
    Function<MiddlewareConfig, Filter> f = EXTRA.get(name);
    if (f != null) return f.apply(config);
    if (config.headers() != null) return new HeadersFilter(config.headers());
    if (config.rateLimit() != null) throw new IllegalArgumentException("middleware '" + name + "': rateLimit is being built");
    throw new IllegalArgumentException("middleware '" + name + "' has no supported type");
  }

  /** For tests: a middleware with this name is built by {@code factory}, whatever its config. */
  public static void registerForTests(String name, Function<MiddlewareConfig, Filter> factory) {
    EXTRA.put(name, factory);
  }
}
