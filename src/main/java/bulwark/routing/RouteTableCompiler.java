package bulwark.routing;

import bulwark.config.BulwarkConfig;
import bulwark.config.FlatRoute;
import bulwark.config.MatchConfig;
import bulwark.config.MiddlewareConfig;
import bulwark.config.RouteConfig;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.target.TargetStates;
import bulwark.upstream.target.UpstreamEvents;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles a validated config into an immutable {@link RouteTable}. Runs off the event loop. The
 * filter chains are built above this package (the server's snapshot compiler), indexed by {@link
 * Route#id()}.
 */
public final class RouteTableCompiler {
  private RouteTableCompiler() {}

  /**
   * @param previous the upstreams of the table being replaced (empty on first start). An upstream
   *     whose config did not change is reused as is, keeping its connection pools.
   */
  public static RouteTable compile(
      BulwarkConfig cfg,
      TargetStates states,
      Map<String, UpstreamRuntime> previous,
      long generation) {
    return compile(cfg, states, previous, generation, UpstreamEvents.NONE);
  }

  /**
   * @param events the gateway's telemetry: new upstreams report their breaker transitions to it
   */
  public static RouteTable compile(
      BulwarkConfig cfg,
      TargetStates states,
      Map<String, UpstreamRuntime> previous,
      long generation,
      UpstreamEvents events) {
    Map<String, UpstreamRuntime> upstreams = new LinkedHashMap<>();
    cfg.upstreams()
        .forEach(
            (name, uc) -> {
              UpstreamRuntime old = previous.get(name);
              upstreams.put(
                  name,
                  old != null && old.config().equals(uc)
                      ? old
                      : new UpstreamRuntime(name, uc, states, Clock.systemUTC(), events));
            });
    List<Route> routes = new ArrayList<>();
    List<FlatRoute> flat = FlatRoute.flatten(cfg);
    for (int id = 0; id < flat.size(); id++) {
      FlatRoute fr = flat.get(id);
      RouteConfig rc = fr.route();
      MatchConfig m = rc.match();
      List<String> mws = List.copyOf(new LinkedHashSet<>(fr.middlewares()));
      Set<String> methods = new LinkedHashSet<>(m.methods());
      if (answersPreflight(cfg, methods, mws)) methods.add("OPTIONS");
      Backends backends = Backends.of(rc, upstreams);
      routes.add(
          new Route(
              rc.name(),
              fr.path(),
              fr.pattern(),
              methods,
              m.host() == null ? null : HostMatcher.of(m.host()),
              m.headers().entrySet().stream()
                  .map(e -> ValueMatcher.of(e.getKey(), e.getValue()))
                  .toList(),
              m.query().entrySet().stream()
                  .map(e -> ValueMatcher.of(e.getKey(), e.getValue()))
                  .toList(),
              rc.version(),
              backends.primary(),
              id,
              mws,
              fr.stripPrefix(),
              rc.rewrite(),
              rc.timeout() == null ? 0 : rc.timeout().toMillis(),
              fr.order(),
              rc.retryNonIdempotent(),
              Fallback.of(rc.fallback(), upstreams),
              backends,
              Mirror.of(rc.mirror(), upstreams),
              rc.grpcWeb(),
              rc.grpc() == null || rc.grpc().safeMethods() == null
                  ? List.of()
                  : List.copyOf(rc.grpc().safeMethods())));
    }
    return new RouteTable(routes, upstreams, cfg.versioning(), generation);
  }

  /**
   * Whether the route also matches OPTIONS so that its CORS middleware can answer preflights: it
   * names methods, OPTIONS is not among them, and one of its middlewares is a cors one. The same
   * rule as {@code CorsFilter.allowPreflight}, which then tells that filter the route's methods.
   */
  static boolean answersPreflight(
      BulwarkConfig cfg, Set<String> methods, List<String> middlewares) {
    if (methods.isEmpty() || methods.contains("OPTIONS")) return false;
    for (String name : middlewares) {
      MiddlewareConfig mc = cfg.middlewares().get(name);
      if (mc != null && mc.cors() != null) return true;
    }
    return false;
  }
}
