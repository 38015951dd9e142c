package bulwark.server;

import bulwark.admin.AdminServer;
import bulwark.admin.FleetView;
import bulwark.admin.GatewayView;
import bulwark.config.BulwarkConfig;
import bulwark.config.ConfigLoader;
import bulwark.config.Durations;
import bulwark.filter.ratelimit.RateLimitCounts;
import bulwark.filter.ratelimit.RateLimitRegistry;
import bulwark.filter.ratelimit.RedisLink;
import bulwark.log.AccessLog;
import bulwark.log.AppLogAppender;
import bulwark.observe.Audit;
import bulwark.observe.Telemetry;
import bulwark.observe.metrics.GatewayMetrics;
import bulwark.observe.metrics.MetricsView;
import bulwark.proxy.DataPlane;
import bulwark.proxy.ProxyHandler;
import bulwark.proxy.Snapshot;
import bulwark.remediation.Remediations;
import bulwark.remediation.RuntimeView;
import bulwark.routing.RouteTable;
import bulwark.transport.DrainGate;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.discovery.Discoveries;
import bulwark.upstream.target.TargetStates;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running gateway: data listeners (one per event loop), the admin listener, hot reload and
 * graceful drain. Building Vert.x and binding the listeners is {@link ServerStart}. The config
 * snapshot is published through one {@link AtomicReference}. Reloading the config file ({@link
 * ConfigReloader}) and the certificates ({@link CertificateReloader}) and compiling a snapshot
 * ({@link SnapshotCompiler}) are their own classes; the parts that read the gateway's state see it
 * through read-only views: {@link DataPlane} (the proxy), {@link GatewayView} (admin), {@link
 * MetricsView} (metrics) and {@link RuntimeView} (remediation).
 */
public final class Gateway implements DataPlane, GatewayView, MetricsView, RuntimeView {
  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  private final AtomicReference<Snapshot> snapshot = new AtomicReference<>();
  private final TargetStates states = new TargetStates();
  // rate-limit buckets and the Redis link: they outlive a reload (see RateLimitRegistry)
  private final RateLimitRegistry rateLimits = new RateLimitRegistry();
  private final AccessLog accessLog = new AccessLog();
  private final LongAdder inFlight = new LongAdder();
  private final AtomicLong generation = new AtomicLong();
  private final Listeners listeners = new Listeners();
  private final SnapshotCompiler compiler =
      new SnapshotCompiler(states, rateLimits, this::telemetry);
  private final ConfigReloader reloader;
  // DNS discoveries of upstreams: a changed answer publishes the config again
  private final Discoveries discoveries = new Discoveries(this::rediscovered);

  /** Held by a reload, a certificate update and the start of a drain: one at a time. */
  final Object reloadLock = new Object();

  /** Holds back the closing of idle HTTP/1.x client connections during the drain window. */
  private final DrainGate drainGate = new DrainGate();

  /** System.nanoTime() at which the grace period ends, once draining. */
  private volatile long graceEndNanos;

  private volatile boolean draining;
  private volatile Instant lastReload;
  private Vertx vertx;
  private AdminServer admin;
  private Observability observability;

  /** The start-up warm-up; readiness waits for it (server.warmup). */
  private volatile Warmup warmup;

  /** Keeps the certificates current; null when started without TLS (a restart changes that). */
  private CertificateReloader certificates;

  /** The Strict-Transport-Security value for TLS responses, or null. */
  private volatile CharSequence hsts;

  private Gateway(Path configFile, ConfigLoader loader) {
    this.reloader = new ConfigReloader(this, configFile, loader);
  }

  /** Loads, validates, starts; a ConfigException (every error) comes before anything is bound. */
  public static Gateway start(Path configFile, ConfigLoader loader, boolean watch)
      throws Exception {
    Gateway g = new Gateway(configFile, loader);
    g.startUp(watch);
    return g;
  }

  private void startUp(boolean watch) throws Exception {
    BulwarkConfig cfg = reloader.load();
    observability = Observability.create(cfg, this, this);
    synchronized (reloadLock) {
      publish(cfg);
    }
    int loops = Math.max(1, Runtime.getRuntime().availableProcessors());
    vertx = ServerStart.vertx(cfg, loops, drainGate);
    observability.start(vertx);
    snapshot.get().table().upstreams().values().forEach(u -> u.start(vertx));
    admin = ServerStart.bind(vertx, this, cfg, loops, this::releaseAfterFailedBind);
    boolean tls = cfg.server().tls() != null;
    if (tls) {
      certificates = new CertificateReloader(this, cfg.server().http2());
      certificates.watch(cfg.server().tls());
    }
    reloader.watch(watch);
    ServerStart.logListening(cfg, snapshot.get().table().routes().size(), loops, vertx);
    observability.listening();
    warmup = Warmup.start(this, vertx, cfg, loops);
  }

  /** Frees what the gateway holds besides Vert.x when a listener fails to bind. */
  private void releaseAfterFailedBind() {
    rateLimits.close();
    accessLog.stop();
    observability.close();
    reloader.stop();
  }

  /**
   * Compiles {@code cfg} and publishes it: the remediation actions, the logs and HSTS follow it,
   * the snapshot is swapped in with one set, then the upstreams it replaced retire, its new ones
   * start and what was learned about targets it no longer has is forgotten. Throws (and publishes
   * nothing) when the config does not compile. Upstreams with DNS discovery get the targets it
   * found last. Called holding reloadLock.
   */
  void publish(BulwarkConfig fileCfg) {
    BulwarkConfig cfg = discoveries.apply(fileCfg);
    Snapshot old = snapshot.get();
    rateLimits.prepare(cfg.cluster());
    Snapshot next = compiler.compile(cfg, old, generation.incrementAndGet());
    observability.remediation().enforce(cfg, next.table());
    accessLog.configure(cfg.observability().accessLog());
    AppLogAppender.useFormat(cfg.observability().logFormat());
    hsts = ServerTls.hstsOf(cfg);
    Upstreams.attachDiscoveries(discoveries, next);
    snapshot.set(next);
    discoveries.retain(cfg);
    rateLimits.commit(cfg);
    lastReload = Instant.now();
    if (old != null) Upstreams.retireReplaced(old, next);
    // at startup vert.x does not exist yet: startUp() starts the first table's upstreams
    if (vertx != null) Upstreams.startNew(vertx, old, next);
    if (old != null) {
      Upstreams.pruneStates(states, next);
      listeners.retireClients();
    }
  }

  /**
   * Reloads the config file (in etcd mode, re-reads etcd). A valid change is compiled here, off the
   * event loops, and swapped in atomically; an invalid one is rejected with every error logged, and
   * the old config keeps serving.
   *
   * @return true when a new config was applied
   */
  public boolean reload(String reason) {
    return reloader.reload(reason);
  }

  private void rediscovered() {
    reloader.rediscovered(discoveries);
  }

  /**
   * Graceful drain: readiness turns 503 at once and the listeners stop accepting. HTTP/2 clients
   * get GOAWAY; kept-alive HTTP/1.1 connections stay open for the drain window, and every response
   * from now on carries Connection: close (its connection closes after it); what is still idle at
   * the end of the window is closed. In-flight requests get the grace period, then everything
   * closes. The drain ends as soon as no client connection is left.
   */
  public void shutdown() {
    synchronized (reloadLock) {
      if (draining) return;
      var sc = snapshot.get().config().server().shutdown();
      graceEndNanos = System.nanoTime() + sc.gracePeriod().toNanos();
      drainGate.begin(sc.drainWindowCut());
      draining = true;
    }
    var sc = snapshot.get().config().server().shutdown();
    Duration grace = sc.gracePeriod();
    LOG.info(
        "shutting down: draining {} in-flight request(s) and {} client connection(s), drain window {}, grace period {}",
        inFlight.sum(),
        clientConnections(),
        Durations.format(sc.drainWindowCut()),
        Durations.format(grace));
    reloader.stop();
    discoveries.close();
    if (warmup != null) warmup.stop();
    if (certificates != null) certificates.stop();
    try {
      listeners.shutdown(grace).await(grace.toMillis() + 2000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.warn("grace period ended with {} request(s) still in flight", inFlight.sum());
    }
    drainGate.end();
    try {
      listeners.closeClients().await(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.debug("closing upstream clients: {}", e.toString());
    }
    snapshot.get().table().upstreams().values().forEach(UpstreamRuntime::retire);
    rateLimits.close();
    try {
      if (admin != null) admin.stop().await(5, TimeUnit.SECONDS);
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.debug("closing vert.x: {}", e.toString());
    }
    LOG.info("shutdown complete");
    if (observability != null) observability.close();
    accessLog.stop();
  }

  CharSequence hsts() {
    return hsts;
  }

  void register(Context context, ProxyHandler proxy, DataPlaneVerticle verticle) {
    listeners.add(context, proxy, verticle);
  }

  Listeners listeners() {
    return listeners;
  }

  CertificateReloader certificates() {
    return certificates;
  }

  /** What is left of the grace period while draining (at least 1 s), for a graceful close. */
  Duration graceLeft() {
    long left = graceEndNanos - System.nanoTime();
    return Duration.ofNanos(Math.max(left, TimeUnit.SECONDS.toNanos(1)));
  }

  // --- DataPlane (the proxy)

  @Override
  public Snapshot snapshot() {
    return snapshot.get();
  }

  @Override
  public boolean draining() {
    return draining;
  }

  @Override
  public Telemetry telemetry() {
    Observability o = observability;
    return o == null ? Telemetry.NONE : o.telemetry();
  }

  @Override
  public Audit audit() {
    return observability == null ? Audit.NONE : observability.audit();
  }

  @Override
  public boolean forcedFallback(String route) {
    return observability.remediation().forcedFallback(route);
  }

  @Override
  public AccessLog accessLog() {
    return accessLog;
  }

  @Override
  public void requestStarted() {
    inFlight.increment();
  }

  @Override
  public void requestFinished() {
    inFlight.decrement();
  }

  // --- GatewayView (admin), MetricsView, RuntimeView (remediation), and tests

  @Override
  public BulwarkConfig config() {
    Snapshot s = snapshot.get();
    return s == null ? null : s.config();
  }

  @Override
  public RouteTable table() {
    Snapshot s = snapshot.get();
    return s == null ? null : s.table();
  }

  public Observability observability() {
    return observability;
  }

  @Override
  public Remediations remediation() {
    return observability.remediation();
  }

  @Override
  public GatewayMetrics metrics() {
    return observability == null ? null : observability.metrics();
  }

  @Override
  public PrometheusMeterRegistry prometheus() {
    return observability == null ? null : observability.prometheus();
  }

  @Override
  public RedisLink redis() {
    return rateLimits.redis();
  }

  @Override
  public Map<String, RateLimitCounts> rateLimitCounts() {
    return rateLimits.counts();
  }

  /** Open client connections of the data listeners, over every event loop. */
  @Override
  public long clientConnections() {
    return listeners.connections();
  }

  @Override
  public long inFlight() {
    return inFlight.sum();
  }

  @Override
  public long generation() {
    return generation.get();
  }

  @Override
  public long reloadsOk() {
    return reloader.reloadsOk();
  }

  @Override
  public long reloadsFailed() {
    return reloader.reloadsFailed();
  }

  @Override
  public Instant lastReload() {
    return lastReload;
  }

  @Override
  public String lastReloadError() {
    return reloader.lastError();
  }

  @Override
  public String configSource() {
    return reloader.source();
  }

  @Override
  public WarmupStatus warmup() {
    Warmup w = warmup;
    return w == null ? null : w.status();
  }

  /** The warm-up run itself (tests). */
  Warmup warmupRun() {
    return warmup;
  }

  @Override
  public FleetView fleet() {
    return reloader.fleet();
  }

  @Override
  public TargetStates states() {
    return states;
  }

  @Override
  public RateLimitRegistry rateLimits() {
    return rateLimits;
  }

  public int dataPort() {
    return listeners.port();
  }

  public int adminPort() {
    return admin == null ? -1 : admin.actualPort();
  }

  @Override
  public boolean nativeTransport() {
    return vertx.isNativeTransportEnabled();
  }
}
