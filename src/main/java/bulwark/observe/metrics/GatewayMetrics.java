package bulwark.observe.metrics;

import bulwark.config.BulwarkConfig;
import bulwark.filter.BodyEncoder;
import bulwark.filter.Exchange;
import bulwark.filter.compress.CompressionFilter;
import bulwark.observe.ConfigSync;
import bulwark.observe.MirrorDrop;
import bulwark.observe.RequestRecord;
import bulwark.observe.Telemetry;
import bulwark.transport.TlsHandshakes;
import bulwark.upstream.target.Outcome;
import bulwark.upstream.target.Target;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's Prometheus metrics (docs/observability-metrics.md). Request and try meters are fed
 * by the {@link Telemetry} hooks on the event loops and cached so that recording allocates nothing;
 * the state of upstreams, targets, breakers and rate limits is read from the serving snapshot when
 * scraped. The try meters are {@link TryMeters}, the state meters {@link StateMeters}, the
 * registry's filters, buckets and binders {@link MeterSetup}. Labels only ever take configured
 * names: unmatched requests are route="unmatched", unknown methods "OTHER".
 */
public final class GatewayMetrics implements Telemetry {

  static final String UNMATCHED = "unmatched";
  public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  public static final String OPENMETRICS_TEXT =
      "application/openmetrics-text; version=1.0.0; charset=utf-8";
  static final String NONE = "none";

  private final MeterRegistry registry;
  private final Map<String, RequestTimers> routes = new ConcurrentHashMap<>();
  private final RequestTimers unmatched;

  /** bulwark_faults_injected_total by route: {delay, abort}. */
  private final Map<String, Counter[]> faults = new ConcurrentHashMap<>();

  /** bulwark_compression_bytes_total by algorithm: {in, out}. */
  private final Map<String, Counter[]> compression = new ConcurrentHashMap<>();

  private final TryMeters tries;
  private final GrpcMeters grpc;
  private final MirrorMeters mirrors;
  private final StateMeters state;
  private final Counter reloadsOk;
  private final Counter reloadsFailed;
  private volatile double lastReloadSeconds = System.currentTimeMillis() / 1000.0;
  private volatile boolean lastReloadOk = true;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  /** bulwark_config_sync_total by source and result, registered at the first sync (etcd mode). */
  private final Map<String, Counter> syncs = new ConcurrentHashMap<>();

  /** The etcd revision served; NaN until the first sync. */
  private volatile double revision = Double.NaN;

  public GatewayMetrics(MetricsView gateway, MeterRegistry registry) {
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
        MeterSetup.timer(
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
    Gauge.builder("bulwark.compression.streams", CompressionFilter::openEncoders)
        .description(
            "Bodies being compressed (responses) or inflated (requests) now; each holds native zlib or Brotli state until its exchange ends")
        .register(registry);
    tries = new TryMeters(registry);
    grpc = new GrpcMeters(registry);
    mirrors = new MirrorMeters(registry);
    state = new StateMeters(gateway, registry, tries);
  }

  private boolean processMetersBound;
  private boolean closed;

  /**
   * Binds the JVM, process and Netty allocator meters, once: the gateway calls it off the main
   * thread once its listeners are up (the binders cost about 70 ms of the launch to the first
   * answer), and a scrape that comes first binds them itself, so every scrape has them.
   */
  public synchronized void bindProcessMeters() {
    if (processMetersBound || closed) return;
    processMetersBound = true;
    closeables.add(MeterSetup.bindProcessMeters(registry));
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
    if (r.grpc() != null) grpc.record(r);
    if (r.fault() != null && r.route() != null) {
      Counter[] c = faults.computeIfAbsent(r.route().name(), this::faultCounters);
      if (r.fault().startsWith("delay")) c[0].increment();
      if (r.fault().endsWith("abort")) c[1].increment();
    }
    BodyEncoder enc = ex.responseEncoder();
    if (enc != null) {
      Counter[] c = compression.computeIfAbsent(enc.name(), this::compressionCounters);
      c[0].increment(enc.bytesIn());
      c[1].increment(enc.bytesOut());
    }
  }

  private Counter[] compressionCounters(String algorithm) {
    Counter[] c = new Counter[2];
    String[] directions = {"in", "out"};
    for (int i = 0; i < 2; i++)
      c[i] =
          Counter.builder("bulwark.compression.bytes")
              .description(
                  "Response body bytes through compression middlewares: in (the upstream's) and out (compressed), by algorithm")
              .tags("algorithm", algorithm, "direction", directions[i])
              .register(registry);
    return c;
  }

  private Counter[] faultCounters(String route) {
    Counter[] c = new Counter[2];
    String[] types = {"delay", "abort"};
    for (int i = 0; i < 2; i++)
      c[i] =
          Counter.builder("bulwark.faults.injected")
              .description("Faults injected by fault middlewares, by route and type (delay, abort)")
              .tags("route", route, "type", types[i])
              .register(registry);
    return c;
  }

  @Override
  public void tryEnded(Exchange ex, Target target, Outcome outcome, int status, long nanos) {
    if (ex.upstream() == null || target == null) return;
    tries.tryEnded(ex.upstream().name(), target.key(), outcome, nanos);
  }

  @Override
  public void retried(Exchange ex) {
    tries.retries(ex.upstream().name()).increment();
  }

  @Override
  public void retryBudgetExhausted(Exchange ex) {
    tries.budgetExhausted(ex.upstream().name()).increment();
  }

  @Override
  public void mirrored(String route, String upstream) {
    mirrors.mirrored(route, upstream);
  }

  @Override
  public void mirrorAnswered(String route, String upstream, int status) {
    mirrors.answered(route, upstream, status);
  }

  @Override
  public void mirrorDropped(String route, String upstream, MirrorDrop reason) {
    mirrors.dropped(route, upstream, reason);
  }

  @Override
  public void alpnRefused(String upstream, String target) {
    Counter.builder("bulwark.upstream.alpn.refused")
        .description(
            "Connections to targets of protocol h2 upstreams that failed because the target did not offer h2 in TLS ALPN")
        .tags("upstream", upstream, "target", target)
        .register(registry)
        .increment();
  }

  @Override
  public void pingTimedOut(String upstream, String target) {
    Counter.builder("bulwark.upstream.ping.timeouts")
        .description(
            "HTTP/2 connections to upstream targets closed because a PING went unanswered (upstreams[].h2)")
        .tags("upstream", upstream, "target", target)
        .register(registry)
        .increment();
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
  public void configSynced(ConfigSync sync) {
    if (syncs.isEmpty()) {
      // the first sync: every result shows (at 0), and the revision gauge appears
      Gauge.builder("bulwark.config.revision", this, m -> m.revision)
          .description("The etcd revision of the routing config served (etcd mode)")
          .register(registry);
      for (ConfigSync.Result r : ConfigSync.Result.values()) syncCounter(sync.source(), r);
    }
    revision = sync.served();
    syncCounter(sync.source(), sync.result()).increment();
  }

  private Counter syncCounter(String source, ConfigSync.Result result) {
    return syncs.computeIfAbsent(
        source + "/" + result.label(),
        k ->
            Counter.builder("bulwark.config.sync")
                .description(
                    "Syncs with the remote config source: applied, refused (invalid, the old config serves), error (unreachable)")
                .tags("source", source, "result", result.label())
                .register(registry));
  }

  @Override
  public synchronized void close() {
    closed = true;
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
    bindProcessMeters();
    sync();
    return prometheus.scrape(contentType);
  }

  /**
   * Registers the state meters of the upstreams, targets, breakers and rate limits the serving
   * config has, and removes those of the ones it no longer has ({@link StateMeters#sync}).
   */
  void sync() {
    state.sync();
  }

  // ---- builders

  private Timer requestTimer(String route, String method, int status, String upstream) {
    return MeterSetup.timer("bulwark.requests", "Requests, from receipt to the end of the response")
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
}
