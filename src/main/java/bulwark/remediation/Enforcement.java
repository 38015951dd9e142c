package bulwark.remediation;

import bulwark.config.BulwarkConfig;
import bulwark.config.MiddlewareConfig;
import bulwark.routing.RouteTable;
import bulwark.upstream.UpstreamRuntime;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Puts the active remediation actions onto the live state: targets taken out, breakers forced open,
 * rate limits tightened, routes sent to their fallback. It remembers what it enforces so that an
 * action that ends is undone and a reload gets the same actions again. Called by {@link
 * Remediations} under its lock; the data plane reads only {@link #forcedFallback}.
 */
final class Enforcement {
  private final RuntimeView gateway;

  // what is enforced now, from the active actions
  private Set<String> ejected = Set.of();
  private Set<String> openUpstreams = Set.of();
  private Map<String, Double> factors = Map.of();
  private volatile Set<String> fallbackRoutes = Set.of();

  Enforcement(RuntimeView gateway) {
    this.gateway = gateway;
  }

  /** Whether requests on route {@code route} go straight to its fallback. Any thread. */
  boolean forcedFallback(String route) {
    Set<String> s = fallbackRoutes;
    return !s.isEmpty() && s.contains(route);
  }

  /**
   * Puts what is enforced onto a route table about to be published (a reload): its new upstreams
   * get forced breakers, new target states are taken out again, changed rate limits are tightened
   * again.
   */
  void reapply(BulwarkConfig cfg, RouteTable table) {
    ejected.forEach(k -> gateway.states().stateFor(k).setAvailable(false));
    for (String u : openUpstreams) {
      UpstreamRuntime up = table.upstreams().get(u);
      if (up != null) up.forceBreakers(true);
    }
    factors.forEach(
        (name, f) -> {
          MiddlewareConfig m = cfg.middlewares().get(name);
          if (m != null && m.rateLimit() != null)
            gateway.rateLimits().tighten(name, f, m.rateLimit());
          else gateway.rateLimits().relax(name);
        });
  }

  /**
   * Makes the live state match the active actions (several actions on one object: the union, the
   * smallest factor).
   */
  void sync(Collection<Remediations.Active> active, BulwarkConfig cfg, RouteTable table) {
    Set<String> ej = new HashSet<>();
    Set<String> open = new HashSet<>();
    Set<String> fb = new HashSet<>();
    Map<String, Double> fs = new HashMap<>();
    for (Remediations.Active a : active) {
      Map<String, String> o = a.objects();
      switch (a.rule().action()) {
        case EJECT_TARGET -> ej.add(o.get("target"));
        case OPEN_BREAKER -> open.add(o.get("upstream"));
        case USE_FALLBACK -> fb.add(o.get("route"));
        case TIGHTEN_RATE_LIMIT -> fs.merge(o.get("middleware"), a.rule().factor(), Math::min);
      }
    }
    for (String k : ejected) if (!ej.contains(k)) gateway.states().stateFor(k).setAvailable(true);
    for (String k : ej) gateway.states().stateFor(k).setAvailable(false);
    for (String u : openUpstreams) {
      UpstreamRuntime up = table.upstreams().get(u);
      if (up != null && !open.contains(u)) up.forceBreakers(false);
    }
    for (String u : open) {
      UpstreamRuntime up = table.upstreams().get(u);
      if (up != null) up.forceBreakers(true);
    }
    for (String m : factors.keySet()) if (!fs.containsKey(m)) gateway.rateLimits().relax(m);
    fs.forEach(
        (m, f) -> {
          MiddlewareConfig mc = cfg.middlewares().get(m);
          if (mc != null && mc.rateLimit() != null)
            gateway.rateLimits().tighten(m, f, mc.rateLimit());
        });
    ejected = Set.copyOf(ej);
    openUpstreams = Set.copyOf(open);
    factors = Map.copyOf(fs);
    fallbackRoutes = Set.copyOf(fb);
  }
}
