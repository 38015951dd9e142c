package bulwark.observe.metrics;

import bulwark.config.BulwarkConfig;
import bulwark.filter.Exchange;
import bulwark.filter.ratelimit.RateLimitCounts;
import bulwark.observe.RequestRecord;
import bulwark.observe.Telemetry;
import bulwark.routing.RouteTable;
import bulwark.transport.TlsHandshakes;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.resilience.Breaker;
import bulwark.upstream.target.Outcome;
import bulwark.upstream.target.Target;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.ToDoubleFunction;

/**
 * The gateway's Prometheus metrics (docs/observability-metrics.md). Request and try meters are fed
 * by the {@link Telemetry} hooks on the event loops and cached so that recording allocates nothing;
 * the state of upstreams, targets, breakers and rate limits is read from the serving snapshot when
 * scraped. Labels only ever take configured names: unmatched requests are route="unmatched",
 * unknown methods "OTHER".
 */
public final class GatewayMetrics implements Telemetry {
  /** The histogram buckets of every timer, in seconds. */
  static final Duration[] BUCKETS =
      seconds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.3, 0.5, 1, 2, 5, 10);

  static final String UNMATCHED = "unmatched";
  public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  public static final String OPENMETRICS_TEXT =
      "application/openmetrics-text; version=1.0.0; charset=utf-8";
  static final String NONE = "none";

  /** Breaker states, as Resilience4j names them, and their label values. */
  private static final String[] STATES = {
    "CLOSED", "OPEN", "HALF_OPEN", "FORCED_OPEN", "DISABLED", "METRICS_ONLY"
  };

  /** The outcome label of a try, by {@link #outcomeIndex}. */
  private static final String[] OUTCOMES = {
    "success", "5xx", "connect", "reset", "timeout", "cancelled", "body_reset", "body_timeout"
  };

  private static final int SUCCESS = 0;
  private static final int CANCELLED = 5;

  private final MeterRegistry registry;
  private final MetricsView gateway;
  private final Map<String, RequestTimers> routes = new ConcurrentHashMap<>();
  private final RequestTimers unmatched;
  private final Map<String, Map<String, TargetMeters>> targets = new ConcurrentHashMap<>();
  private final Map<String, Counter> retries = new ConcurrentHashMap<>();
  private final Map<String, Counter> budgetExhausted = new ConcurrentHashMap<>();
  private final Counter reloadsOk;
  private final Counter reloadsFailed;
  private volatile double lastReloadSeconds = System.currentTimeMillis() / 1000.0;
  private volatile boolean lastReloadOk = true;
  private final LiveMeters<String> upstreamGauges;
  private final LiveMeters<TargetKey> targetGauges;
  private final LiveMeters<TargetKey> breakerGauges;
  private final LiveMeters<String> rateLimitCounters;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  private record TargetKey(String upstream, String name) {}

  /** The try meters of one target of one upstream, filled in as outcomes occur. */
  private final class TargetMeters {
    final String upstream;
    final String target;
    final AtomicReferenceArray<Timer> attempts = new AtomicReferenceArray<>(OUTCOMES.length);
    final AtomicReferenceArray<Counter> errors = new AtomicReferenceArray<>(OUTCOMES.length);

    TargetMeters(String upstream, String target) {
      this.upstream = upstream;
      this.target = target;
    }

    void record(int outcome, long nanos) {
      Timer t = attempts.get(outcome);
      if (t == null) {
        t =
            timer("bulwark.upstream.attempts", "Tries sent to upstream targets, by how they ended")
                .tags("upstream", upstream, "target", target, "outcome", OUTCOMES[outcome])
                .register(registry);
        attempts.set(outcome, t);
      }
      t.record(nanos, TimeUnit.NANOSECONDS);
      if (outcome == SUCCESS || outcome == CANCELLED) return;
      Counter c = errors.get(outcome);
      if (c == null) {
        c =
            Counter.builder("bulwark.upstream.errors")
                .description("Failed tries to upstream targets, by kind")
                .tags("upstream", upstream, "target", target, "kind", OUTCOMES[outcome])
                .register(registry);
        errors.set(outcome, c);
      }
      c.increment();
    }
  }

  public GatewayMetrics(MetricsView gateway, MeterRegistry registry) {
    this.gateway = gateway;
    this.registry = registry;
    this.unmatched = new RequestTimers(UNMATCHED, this::requestTimer);
    Gauge.builder("bulwark.requests.in.flight", gateway, MetricsView::inFlight)
        .description("Requests received and not yet answered")
        .register(registry);
    Gauge.builder("bulwark.client.connections", gateway, MetricsView::clientConnections)
        .description("Open client connections of the data listener")
        .register(registry);
    reloadsOk = reloads("success");
    reloadsFailed = reloads("failure");
    Gauge.builder("bulwark.config.last.reload.timestamp.seconds", this, m -> m.lastReloadSeconds)
        .description("When the config was last loaded or a reload was last tried (Unix seconds)")
        .register(registry);
    Gauge.builder("bulwark.config.last.reload.success", this, m -> m.lastReloadOk ? 1 : 0)
        .description("1 when the last reload attempt succeeded, 0 when it was rejected")
        .register(registry);
    Timer tls =
        timer(
                "bulwark.tls.handshake",
                "TLS handshakes of the data listener, from accept to handshake done")
            .register(registry);
    Counter tlsFailed =
        Counter.builder("bulwark.tls.handshake.failures")
            .description("Failed TLS handshakes of the data listener")
            .register(registry);
    closeables.add(
        TlsHandshakes.listen(
            (nanos, ok) -> {
              if (ok) tls.record(nanos, TimeUnit.NANOSECONDS);
              else tlsFailed.increment();
            }));
    upstreamGauges = new LiveMeters<>(registry, this::upstreamMeters);
    targetGauges = new LiveMeters<>(registry, this::targetMeters);
    breakerGauges = new LiveMeters<>(registry, this::breakerMeters);
    rateLimitCounters = new LiveMeters<>(registry, this::rateLimitMeters);
    bindProcessMeters();
  }

  /**
   * Filters for the binders' meters: what `promtool check metrics` would flag is left out
   * (process_cpu_time_ns_total, an abbreviated unit; system_cpu_count, a gauge with a _count
   * suffix), and the Netty allocator meters that come without a description get one. Called on the
   * new registry before any meter is registered.
   */
  public static void configure(MeterRegistry registry) {
    registry
        .config()
        .meterFilter(
            MeterFilter.deny(
                id ->
                    id.getName().equals("process.cpu.time")
                        || id.getName().equals("system.cpu.count")));
    registry
        .config()
        .meterFilter(
            new MeterFilter() {
              @Override
              public Meter.Id map(Meter.Id id) {
                if (!id.getName().startsWith("netty.allocator.") || id.getDescription() != null)
                  return id;
                return new Meter.Id(
                    id.getName(),
                    Tags.of(id.getTagsAsIterable()),
                    id.getBaseUnit(),
                    "Netty buffer allocator: " + id.getName().substring(16).replace('.', ' '),
                    id.getType());
              }
            });
  }

  private void bindProcessMeters() {
    new JvmMemoryMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    closeables.add(gc);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    // the allocator every Vert.x channel uses: Netty's default (adaptive in Netty 4.2, pooled if
    // configured so), or the adaptive one Vert.x substitutes when the default is unpooled
    if (io.vertx.core.impl.buffer.VertxByteBufAllocator.POOLED_ALLOCATOR
        instanceof ByteBufAllocatorMetricProvider p) {
      new NettyAllocatorMetrics(p).bindTo(registry);
    }
  }

  // ---- the request path

  @Override
  public void requestFinished(Exchange ex, RequestRecord r) {
    RequestTimers rt;
    if (r.route() == null) {
      rt = unmatched;
    } else {
      String name = r.route().name();
      rt = routes.get(name);
      if (rt == null)
        rt = routes.computeIfAbsent(name, n -> new RequestTimers(n, this::requestTimer));
    }
    String upstream = r.upstream() == null ? NONE : r.upstream().name();
    rt.timer(RequestTimers.methodIndex(r.method()), r.status(), upstream)
        .record(r.durationNanos(), TimeUnit.NANOSECONDS);
  }

  @Override
  public void tryEnded(Exchange ex, Target target, Outcome outcome, int status, long nanos) {
    if (ex.upstream() == null || target == null) return;
    String up = ex.upstream().name();
    Map<String, TargetMeters> byTarget = targets.get(up);
    if (byTarget == null) byTarget = targets.computeIfAbsent(up, u -> new ConcurrentHashMap<>());
    TargetMeters m = byTarget.get(target.key());
    if (m == null) m = byTarget.computeIfAbsent(target.key(), k -> new TargetMeters(up, k));
    m.record(outcomeIndex(outcome), nanos);
  }

  /** The index in {@link #OUTCOMES}. */
  private static int outcomeIndex(Outcome o) {
    return switch (o) {
      case CANCELLED -> CANCELLED;
      case SUCCESS -> SUCCESS;
      case HTTP_5XX -> 1;
      case CONNECT_FAILURE -> 2;
      case RESET -> 3;
      case TIMEOUT -> 4;
      case BODY_RESET -> 6;
      case BODY_TIMEOUT -> 7;
    };
  }

  @Override
  public void retried(Exchange ex) {
    retries(ex.upstream().name()).increment();
  }

  @Override
  public void retryBudgetExhausted(Exchange ex) {
    budgetExhausted(ex.upstream().name()).increment();
  }

  private Counter retries(String upstream) {
    return perUpstream(retries, upstream, "bulwark.retries", "Failed tries sent again");
  }

  private Counter budgetExhausted(String upstream) {
    return perUpstream(
        budgetExhausted,
        upstream,
        "bulwark.retry.budget.exhausted",
        "Retries the retry budget refused");
  }

  private Counter perUpstream(
      Map<String, Counter> counters, String up, String name, String description) {
    Counter c = counters.get(up);
    if (c == null)
      c =
          counters.computeIfAbsent(
              up,
              u ->
                  Counter.builder(name)
                      .description(description)
                      .tag("upstream", u)
                      .register(registry));
    return c;
  }

  // ---- control plane

  @Override
  public void breakerTransition(String upstream, String breaker, String from, String to) {
    Counter.builder("bulwark.circuit.breaker.transitions")
        .description("Circuit breaker state changes")
        .tags(
            "upstream",
            upstream,
            "breaker",
            breaker,
            "from",
            from.toLowerCase(Locale.ROOT),
            "to",
            to.toLowerCase(Locale.ROOT))
        .register(registry)
        .increment();
  }

  @Override
  public void reloaded(
      String reason, BulwarkConfig before, BulwarkConfig after, List<String> errors) {
    lastReloadSeconds = System.currentTimeMillis() / 1000.0;
    lastReloadOk = after != null;
    (after != null ? reloadsOk : reloadsFailed).increment();
    if (after != null) sync();
  }

  @Override
  public void close() {
    for (AutoCloseable c : closeables) {
      try {
        c.close();
      } catch (Exception e) {
        // closing anyway
      }
    }
  }

  // ---- scraping

  /**
   * The content type of a scrape for this Accept header: OpenMetrics when asked for, else
   * Prometheus text 0.0.4.
   */
  public static String contentType(String accept) {
    return accept != null && accept.contains("application/openmetrics-text")
        ? OPENMETRICS_TEXT
        : PROMETHEUS_TEXT;
  }

  /**
   * Brings the state meters in line with the serving config, then renders every meter. Off the
   * event loop.
   */
  public String scrape(PrometheusMeterRegistry prometheus, String contentType) {
    sync();
    return prometheus.scrape(contentType);
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
    for (UpstreamRuntime u : ups.values()) {
      if (u.retry() != null) {
        // counters start at 0 for every upstream that retries, so rate() sees the first one
        retries(u.name());
        budgetExhausted(u.name());
      }
      for (Target t : u.targets()) ts.add(new TargetKey(u.name(), t.key()));
      for (Breaker b : u.breakers()) bs.add(new TargetKey(u.name(), b.name()));
    }
    upstreamGauges.sync(ups.keySet());
    targetGauges.sync(ts);
    breakerGauges.sync(bs);
    rateLimitCounters.sync(gateway.rateLimitCounts().keySet());
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

  // ---- builders

  private Timer requestTimer(String route, String method, int status, String upstream) {
    return timer("bulwark.requests", "Requests, from receipt to the end of the response")
        .tags(
            "route",
            route,
            "method",
            method,
            "status",
            Integer.toString(status),
            "upstream",
            upstream)
        .register(registry);
  }

  private Counter reloads(String result) {
    return Counter.builder("bulwark.config.reloads")
        .description("Config reload attempts")
        .tag("result", result)
        .register(registry);
  }

  private static Timer.Builder timer(String name, String description) {
    return Timer.builder(name).description(description).serviceLevelObjectives(BUCKETS);
  }

  private static Duration[] seconds(double... s) {
    Duration[] d = new Duration[s.length];
    for (int i = 0; i < s.length; i++) d[i] = Duration.ofNanos(Math.round(s[i] * 1e9));
    return d;
  }
}
