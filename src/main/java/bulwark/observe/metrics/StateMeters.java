package bulwark.observe.metrics;

import bulwark.filter.ratelimit.RateLimitCounts;
import bulwark.routing.RouteTable;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.resilience.Breaker;
import bulwark.upstream.target.Target;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The state meters of the serving config: the gauges of upstreams, targets and circuit breakers and
 * the rate-limit counters, read from the serving snapshot when scraped, registered and removed as
 * the config gains and loses them.
 */
final class StateMeters {
  /** Breaker states, as Resilience4j names them, and their label values. */
  private static final String[] STATES = {
    "CLOSED", "OPEN", "HALF_OPEN", "FORCED_OPEN", "DISABLED", "METRICS_ONLY"
  };

  private record TargetKey(String upstream, String name) {}

  private final MeterRegistry registry;
  private final MetricsView gateway;
  private final TryMeters tries;
  private final LiveMeters<String> upstreamGauges;
  private final LiveMeters<TargetKey> targetGauges;
  private final LiveMeters<TargetKey> breakerGauges;
  private final LiveMeters<String> rateLimitCounters;
  private final LiveMeters<String> discoveryCounters;

  StateMeters(MetricsView gateway, MeterRegistry registry, TryMeters tries) {
    this.gateway = gateway;
    this.registry = registry;
    this.tries = tries;
    upstreamGauges = new LiveMeters<>(registry, this::upstreamMeters);
    targetGauges = new LiveMeters<>(registry, this::targetMeters);
    breakerGauges = new LiveMeters<>(registry, this::breakerMeters);
    rateLimitCounters = new LiveMeters<>(registry, this::rateLimitMeters);
    discoveryCounters = new LiveMeters<>(registry, this::discoveryMeters);
  }

  /**
   * Registers the state meters of the upstreams, targets, breakers and rate limits the serving
   * config has, and removes those of the ones it no longer has. Route-scope breakers appear on
   * first use, so this also runs before each scrape.
   */
  synchronized void sync() {
    RouteTable table = gateway.table();
    if (table == null) return;
    Map<String, UpstreamRuntime> ups = table.upstreams();
    List<TargetKey> ts = new ArrayList<>();
    List<TargetKey> bs = new ArrayList<>();
    List<String> discovered = new ArrayList<>();
    for (UpstreamRuntime u : ups.values()) {
      if (u.retry() != null) {
        // counters start at 0 for every upstream that retries, so rate() sees the first one
        tries.retries(u.name());
        tries.budgetExhausted(u.name());
      }
      for (Target t : u.targets()) ts.add(new TargetKey(u.name(), t.key()));
      for (Breaker b : u.breakers()) bs.add(new TargetKey(u.name(), b.name()));
      if (u.discovery() != null) discovered.add(u.name());
    }
    upstreamGauges.sync(ups.keySet());
    targetGauges.sync(ts);
    breakerGauges.sync(bs);
    rateLimitCounters.sync(gateway.rateLimitCounts().keySet());
    discoveryCounters.sync(discovered);
  }

  private UpstreamRuntime upstream(String name) {
    RouteTable table = gateway.table();
    return table == null ? null : table.upstreams().get(name);
  }

  private Target target(TargetKey k) {
    UpstreamRuntime u = upstream(k.upstream);
    if (u == null) return null;
    for (Target t : u.targets()) if (t.key().equals(k.name)) return t;
    return null;
  }

  private String breakerState(TargetKey k) {
    UpstreamRuntime u = upstream(k.upstream);
    if (u == null) return null;
    for (Breaker b : u.breakers()) if (b.name().equals(k.name)) return b.state();
    return null;
  }

  private List<Meter> upstreamMeters(String name) {
    return List.of(
        gauge(
            "bulwark.upstream.requests.pending",
            "Requests waiting for a pooled upstream connection",
            name,
            null,
            u -> u.overload().pending()),
        gauge(
            "bulwark.upstream.connections.max",
            "Pooled connections per target, per event loop",
            name,
            null,
            u -> u.config().maxConnectionsPerTarget()),
        gauge(
            "bulwark.upstream.targets.usable",
            "Targets that can be picked now",
            name,
            null,
            u -> u.health().usable()),
        gauge(
            "bulwark.upstream.targets", "Configured targets", name, null, u -> u.targets().size()));
  }

  private Meter gauge(
      String meter,
      String description,
      String upstream,
      String target,
      ToDoubleFunction<UpstreamRuntime> f) {
    return Gauge.builder(
            meter,
            this,
            m -> {
              UpstreamRuntime u = m.upstream(upstream);
              return u == null ? Double.NaN : f.applyAsDouble(u);
            })
        .description(description)
        .tag("upstream", upstream)
        .register(registry);
  }

  private List<Meter> targetMeters(TargetKey k) {
    return List.of(
        targetGauge(
            "bulwark.target.up",
            "1 when the target can be picked, 0 when it is down, ejected or drained",
            k,
            t -> t.available() ? 1 : 0),
        targetGauge(
            "bulwark.target.health.score",
            "The target's health score, 0 to 100",
            k,
            t -> t.state().health().score()),
        targetGauge(
            "bulwark.upstream.requests.in.flight",
            "Requests in flight to the target",
            k,
            t -> t.state().inFlight()));
  }

  private Meter targetGauge(
      String meter, String description, TargetKey k, ToDoubleFunction<Target> f) {
    return Gauge.builder(
            meter,
            this,
            m -> {
              Target t = m.target(k);
              return t == null ? Double.NaN : f.applyAsDouble(t);
            })
        .description(description)
        .tags("upstream", k.upstream, "target", k.name)
        .register(registry);
  }

  private List<Meter> breakerMeters(TargetKey k) {
    List<Meter> out = new ArrayList<>(STATES.length);
    for (String state : STATES) {
      out.add(
          Gauge.builder(
                  "bulwark.circuit.breaker.state",
                  this,
                  m -> state.equals(m.breakerState(k)) ? 1 : 0)
              .description("1 for the breaker's current state, 0 for the others")
              .tags(
                  "upstream",
                  k.upstream,
                  "breaker",
                  k.name,
                  "state",
                  state.toLowerCase(Locale.ROOT))
              .register(registry));
    }
    return out;
  }

  private List<Meter> rateLimitMeters(String middleware) {
    return List.of(
        rateLimitCounter(middleware, "allowed", RateLimitCounts::allowedCount),
        rateLimitCounter(middleware, "rejected", RateLimitCounts::rejectedCount));
  }

  private Meter rateLimitCounter(
      String middleware, String result, ToDoubleFunction<RateLimitCounts> f) {
    return FunctionCounter.builder(
            "bulwark.ratelimit.requests",
            this,
            m -> {
              RateLimitCounts c = m.gateway.rateLimitCounts().get(middleware);
              return c == null ? 0 : f.applyAsDouble(c);
            })
        .description("Requests a rateLimit middleware let through or refused")
        .tags("middleware", middleware, "result", result)
        .register(registry);
  }

  private List<Meter> discoveryMeters(String upstream) {
    return List.of(
        FunctionCounter.builder(
                "bulwark.upstream.discovery.failures",
                this,
                m -> {
                  UpstreamRuntime u = m.upstream(upstream);
                  return u == null || u.discovery() == null ? 0 : u.discovery().failures();
                })
            .description(
                "DNS discovery lookups that failed or found nothing (the last good targets stay)")
            .tag("upstream", upstream)
            .register(registry));
  }
}
