package bulwark.server;

import bulwark.admin.AdminServer;
import bulwark.config.BulwarkConfig;
import bulwark.config.ConfigException;
import bulwark.config.ConfigLoader;
import bulwark.filter.ratelimit.RateLimitRegistry;
import bulwark.log.AccessLog;
import bulwark.log.AppLogAppender;
import bulwark.proxy.DataPlane;
import bulwark.proxy.ForwardingHeaders;
import bulwark.proxy.ProxyHandler;
import bulwark.proxy.Snapshot;
import bulwark.routing.RouteTable;
import bulwark.routing.RouteTableCompiler;
import bulwark.transport.DrainGate;
import bulwark.transport.FramingTransport;
import bulwark.upstream.TargetStates;
import bulwark.upstream.UpstreamRuntime;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running gateway: data listeners (one per event loop), the admin listener, hot reload and
 * graceful drain. The config snapshot is published through one {@link AtomicReference}.
 */
public final class Gateway implements DataPlane {
  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  private final Path configFile;
  private final ConfigLoader loader;
  private final AtomicReference<Snapshot> snapshot = new AtomicReference<>();
  private final TargetStates states = new TargetStates();
  /** Rate-limit buckets and the Redis link: they outlive a reload (see RateLimitRegistry). */
  private final RateLimitRegistry rateLimits = new RateLimitRegistry();
  private final AccessLog accessLog = new AccessLog();
  private final LongAdder inFlight = new LongAdder();
  private final AtomicLong generation = new AtomicLong();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final Object reloadLock = new Object();
  private volatile boolean draining;
  /** Holds back the closing of idle HTTP/1.x client connections during the drain window. */
  private final DrainGate drainGate = new DrainGate();
  /** System.nanoTime() at which the grace period ends, once draining. */
  private volatile long graceEndNanos;
  private volatile String lastConfigHash;
  private volatile Instant lastReload;
  private volatile String lastReloadError;
  private final AtomicLong reloadsOk = new AtomicLong();
  private final AtomicLong reloadsFailed = new AtomicLong();
  private Vertx vertx;
  private AdminServer admin;
  private bulwark.observe.Observability observability;
  private FileWatcher watcher;
  /** Watches the TLS certificate and key files; replaced when a reload changes server.tls. */
  private volatile FileWatcher certWatcher;
  /** The Strict-Transport-Security value for TLS responses, or null. */
  private volatile CharSequence hsts;
  /** Whether the running listeners were started with TLS and HTTP/2 (both need a restart to change). */
  private boolean listenerTls;
  private boolean listenerHttp2;
  static final long CONFIG_WATCH_MILLIS = 50;
  static final long CERT_WATCH_MILLIS = Long.getLong("bulwark.tls.watchMillis", 250);
  /** A renewal writes the certificate and the key one after the other: both must have settled. */
  static final Duration CERT_SETTLE = Duration.ofMillis(Math.max(20, CERT_WATCH_MILLIS / 2));

  record Listener(Context context, ProxyHandler proxy, DataPlaneVerticle verticle) {}

  private Gateway(Path configFile, ConfigLoader loader) {
    this.configFile = configFile;
    this.loader = loader;
  }

  /** Loads, validates and starts. Throws ConfigException (with every error) before binding anything. */
  public static Gateway start(Path configFile, ConfigLoader loader, boolean watch) throws ConfigException, Exception {
    Gateway g = new Gateway(configFile, loader);
    g.startUp(watch);
    return g;
  }

  private void startUp(boolean watch) throws Exception {
    String text = Files.readString(configFile);
    BulwarkConfig cfg = loader.parse(text);
    lastConfigHash = hash(text);
    observability = bulwark.observe.Observability.create(cfg, this);
    publish(cfg);
    int loops = Math.max(1, Runtime.getRuntime().availableProcessors());
    io.vertx.core.transport.Transport native_ = io.vertx.core.transport.Transport.nativeTransport();
    io.vertx.core.transport.Transport transport = native_ != null && native_.available() ? native_ : io.vertx.core.transport.Transport.NIO;
    // the transport puts the request-smuggling guard in front of every HTTP/1.x decoder (RequestFraming)
    vertx = Vertx.builder().with(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(loops))
        .withTransport(FramingTransport.wrap(transport, cfg.server().limits().requestHeaderTimeout().toMillis(), drainGate,
            ProxyFramingRules.INSTANCE)).build();
    if (!vertx.isNativeTransportEnabled()) {
      LOG.warn("native epoll transport unavailable, using NIO: {}", String.valueOf(vertx.unavailableNativeTransportCause()));
    }
    observability.start(vertx);
    snapshot.get().table().upstreams().values().forEach(u -> u.start(vertx));
    String listener = "data listener" + (cfg.server().tls() != null ? " (TLS)" : "");
    String address = cfg.server().listen();
    String field = "server.listen";
    try {
      vertx.deployVerticle(() -> new DataPlaneVerticle(this, cfg), new DeploymentOptions().setInstances(loops))
          .await(30, TimeUnit.SECONDS);
      listener = "admin listener";
      address = cfg.admin().listen();
      field = "admin.listen";
      admin = new AdminServer(vertx, this, cfg.admin());
      admin.start().await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      vertx.close().await(10, TimeUnit.SECONDS);
      rateLimits.close();
      accessLog.stop();
      observability.close();
      // a busy port names the listener and its address, not just Netty's "bind(..) failed"
      if (ListenException.isListenFailure(e)) throw new ListenException(listener, address, field, e);
      throw e;
    }
    if (watch) {
      watcher = new FileWatcher(List.of(configFile), () -> snapshot.get().config().server().reloadSettle(), System::nanoTime,
          () -> reload("file change"));
      watcher.start("bulwark-config-watcher", CONFIG_WATCH_MILLIS);
    }
    listenerTls = cfg.server().tls() != null;
    listenerHttp2 = cfg.server().http2();
    if (listenerTls) watchCertificates(cfg.server().tls());
    LOG.info("bulwark listening on {} (admin {}), {} routes, {} event loops, transport {}, {}",
        cfg.server().listen(), cfg.admin().listen(), snapshot.get().table().routes().size(), loops,
        vertx.isNativeTransportEnabled() ? "epoll" : "nio",
        listenerTls ? "TLS " + ServerTls.protocols(cfg.server().tls()) + " by " + ServerTls.engineName()
            + ", " + cfg.server().tls().certificates().size() + " certificate(s)" + (listenerHttp2 ? ", ALPN h2" : "") : "plain HTTP");
  }

  private void publish(BulwarkConfig cfg) {
    Snapshot old = snapshot.get();
    Map<String, UpstreamRuntime> previous = old == null ? Map.of() : old.table().upstreams();
    rateLimits.prepare(cfg.cluster());
    RouteTable table = RouteTableCompiler.compile(cfg, states, previous, generation.incrementAndGet(), rateLimits, telemetry());
    observability.remediation().enforce(cfg, table);
    long maxBody = cfg.server().limits().maxBodyBytes().bytes();
    accessLog.configure(cfg.observability().accessLog());
    AppLogAppender.useFormat(cfg.observability().logFormat());
    var tls = cfg.server().tls();
    hsts = tls != null && tls.hsts() != null ? io.vertx.core.http.HttpHeaders.createOptimized(tls.hsts().headerValue()) : null;
    snapshot.set(new Snapshot(cfg, table, ForwardingHeaders.of(cfg), maxBody));
    rateLimits.commit(cfg);
    lastReload = Instant.now();
    if (old != null) {
      // retire upstreams that were replaced (first, so their health checks stop before the new
      // ones start on the same targets); their pools close once their requests finish
      old.table().upstreams().forEach((name, u) -> {
        if (table.upstreams().get(name) != u) u.retire();
      });
    }
    // at startup vert.x does not exist yet: startUp() starts the first table's upstreams
    if (vertx != null) {
      for (UpstreamRuntime u : table.upstreams().values()) {
        if (old == null || old.table().upstreams().get(u.name()) != u) u.start(vertx);
      }
    }
    if (old != null) {
      List<String> keys = new ArrayList<>();
      table.upstreams().values().forEach(u -> u.targets().forEach(t -> keys.add(t.key())));
      states.retainOnly(keys);
      for (Listener l : listeners) l.context().runOnContext(v -> l.proxy().retireClients());
    }
  }

  /**
   * Reloads the config file. A valid change is compiled here, off the event loops, and swapped in
   * atomically; an invalid one is rejected with every error logged, and the old config keeps serving.
   *
   * @return true when a new config was applied
   */
  public boolean reload(String reason) {
    synchronized (reloadLock) {
      if (draining) return false;
      String text;
      try {
        text = Files.readString(configFile);
      } catch (Exception e) {
        return failed(reason, List.of("cannot read " + configFile + ": " + e.getMessage()));
      }
      String h = hash(text);
      if (h.equals(lastConfigHash)) {
        // a bad edit reverted (or SIGHUP after it): the file is the running config again, so the
        // failed state (readiness detail, the last-reload-success metric) is cleared
        if (lastReloadError != null) {
          lastReloadError = null;
          reloadsOk.incrementAndGet();
          LOG.info("config reload ({}): the file equals the running config (generation {}) again; the failed reload is cleared",
              reason, generation.get());
          BulwarkConfig cur = snapshot.get().config();
          telemetry().reloaded(reason, cur, cur, List.of());
        }
        return false;
      }
      BulwarkConfig cfg;
      try {
        cfg = loader.parse(text);
      } catch (ConfigException e) {
        return failed(reason, e.errors().stream().map(Object::toString).toList());
      }
      Snapshot before = snapshot.get();
      BulwarkConfig cur = before.config();
      if (!cfg.server().listen().equals(cur.server().listen()) || !cfg.admin().equals(cur.admin())
          || cfg.server().http2() != cur.server().http2() || !cfg.server().limits().equals(cur.server().limits())) {
        LOG.warn("config reload ({}): changes to server.listen, server.http2, server.limits and admin take effect after a restart", reason);
      }
      var oo = cur.observability();
      var no = cfg.observability();
      if (!no.metrics().equals(oo.metrics()) || !no.tracing().equals(oo.tracing()) || !java.util.Objects.equals(no.audit(), oo.audit())) {
        LOG.warn("config reload ({}): changes to observability.metrics, observability.tracing and observability.audit take effect after a restart", reason);
      }
      if ((cfg.server().tls() != null) != listenerTls) {
        LOG.warn("config reload ({}): turning server.tls on or off takes effect after a restart", reason);
      }
      try {
        publish(cfg);
      } catch (RuntimeException e) {
        return failed(reason, List.of("cannot compile the new config: " + e));
      }
      if (listenerTls && cfg.server().tls() != null && !cfg.server().tls().equals(cur.server().tls())) {
        applyTls(cfg.server().tls(), "config reload");
        watchCertificates(cfg.server().tls());
      }
      lastConfigHash = h;
      lastReloadError = null;
      reloadsOk.incrementAndGet();
      int routesBefore = before.table().routes().size();
      int routesAfter = snapshot.get().table().routes().size();
      LOG.info("config reloaded ({}): generation {}, {} routes", reason, generation.get(), routesAfter);
      if (routesAfter * 2 < routesBefore) {
        // most often a file read half-written: write a new file and rename it into place
        LOG.warn("config reload ({}) removed most routes: generation {} has {} route(s), the previous one had {}; if that is not "
            + "intended, check that the file was complete when it was read (write a new file and rename it into place)",
            reason, generation.get(), routesAfter, routesBefore);
      }
      telemetry().reloaded(reason, cur, cfg, List.of());
      return true;
    }
  }

  private boolean failed(String reason, List<String> errors) {
    reloadsFailed.incrementAndGet();
    lastReloadError = String.join("; ", errors);
    LOG.error("config reload ({}) rejected, the previous config keeps serving; {} error(s):\n  {}", reason, errors.size(), String.join("\n  ", errors));
    Snapshot s = snapshot.get();
    telemetry().reloaded(reason, s == null ? null : s.config(), null, errors);
    return false;
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
      drainGate.begin(drainWindow(sc));
      draining = true;
    }
    var sc = snapshot.get().config().server().shutdown();
    Duration grace = sc.gracePeriod();
    LOG.info("shutting down: draining {} in-flight request(s) and {} client connection(s), drain window {}, grace period {}",
        inFlight.sum(), clientConnections(), bulwark.config.Durations.format(drainWindow(sc)), bulwark.config.Durations.format(grace));
    if (watcher != null) watcher.stop();
    if (certWatcher != null) certWatcher.stop();
    try {
      List<Future<Void>> fs = new ArrayList<>();
      for (Listener l : listeners) fs.add(l.verticle().shutdownServer(grace));
      Future.join(fs).await(grace.toMillis() + 2000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.warn("grace period ended with {} request(s) still in flight", inFlight.sum());
    }
    drainGate.end();
    try {
      List<Future<Void>> fs = new ArrayList<>();
      for (Listener l : listeners) {
        fs.add(Future.<Void>future(p -> l.context().runOnContext(v -> l.proxy().closeClients().onComplete(p))));
      }
      Future.join(fs).await(5, TimeUnit.SECONDS);
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

  /** The drain window, cut to the grace period. */
  private static Duration drainWindow(bulwark.config.ShutdownConfig sc) {
    return sc.drainWindow().compareTo(sc.gracePeriod()) > 0 ? sc.gracePeriod() : sc.drainWindow();
  }

  /** (Re)starts watching the certificate and key files of the given TLS config. */
  private void watchCertificates(bulwark.config.TlsConfig tls) {
    FileWatcher old = certWatcher;
    if (old != null) old.stop();
    FileWatcher w = new FileWatcher(ServerTls.files(tls), () -> CERT_SETTLE, System::nanoTime, this::certificatesChanged);
    certWatcher = w;
    w.start("bulwark-tls-watcher", CERT_WATCH_MILLIS);
  }

  private void certificatesChanged() {
    synchronized (reloadLock) {
      if (draining) return;
      var tls = snapshot.get().config().server().tls();
      if (tls != null && listenerTls) applyTls(tls, "certificate files changed");
    }
  }

  /**
   * Reads the certificates again and switches every listener to them: new connections get the new
   * certificates, open ones keep theirs. Files that do not parse leave the current ones serving.
   */
  private void applyTls(bulwark.config.TlsConfig tls, String reason) {
    io.vertx.core.net.ServerSSLOptions opts;
    try {
      opts = ServerTls.sslOptions(tls, listenerHttp2);
    } catch (java.io.IOException | RuntimeException e) {
      LOG.error("TLS update ({}) rejected, the previous certificates keep serving: {}", reason, e.getMessage());
      return;
    }
    List<Future<Boolean>> fs = new ArrayList<>();
    for (Listener l : listeners) fs.add(l.verticle().updateSsl(opts.copy()));
    Future.all(fs).onComplete(ar -> {
      if (ar.succeeded()) {
        LOG.info("TLS updated ({}): {} certificate(s), {}", reason, tls.certificates().size(), ServerTls.protocols(tls));
      } else {
        LOG.error("TLS update ({}) failed, the previous certificates keep serving: {}", reason, String.valueOf(ar.cause()));
      }
    });
  }

  /** The Strict-Transport-Security header value for responses over TLS, or null. */
  CharSequence hsts() {
    return hsts;
  }

  void register(Context context, ProxyHandler proxy, DataPlaneVerticle verticle) {
    listeners.add(new Listener(context, proxy, verticle));
  }

  private static String hash(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  // --- DataPlane

  @Override
  public Snapshot snapshot() {
    return snapshot.get();
  }

  @Override
  public boolean draining() {
    return draining;
  }

  @Override
  public bulwark.observe.Telemetry telemetry() {
    bulwark.observe.Observability o = observability;
    return o == null ? bulwark.observe.Telemetry.NONE : o.telemetry();
  }

  @Override
  public boolean forcedFallback(String route) {
    return observability.remediation().forcedFallback(route);
  }

  public bulwark.observe.Observability observability() {
    return observability;
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

  // --- for the admin API and tests

  /** Open client connections of the data listeners, over every event loop. */
  public long clientConnections() {
    long n = 0;
    for (Listener l : listeners) n += l.verticle().connections();
    return n;
  }

  public long inFlight() {
    return inFlight.sum();
  }

  /** What is left of the grace period while draining (at least one second), for closing a connection gracefully. */
  Duration graceLeft() {
    long left = graceEndNanos - System.nanoTime();
    return Duration.ofNanos(Math.max(left, TimeUnit.SECONDS.toNanos(1)));
  }

  public long generation() {
    return generation.get();
  }

  public long reloadsOk() {
    return reloadsOk.get();
  }

  public long reloadsFailed() {
    return reloadsFailed.get();
  }

  public Instant lastReload() {
    return lastReload;
  }

  public String lastReloadError() {
    return lastReloadError;
  }

  public TargetStates states() {
    return states;
  }

  public RateLimitRegistry rateLimits() {
    return rateLimits;
  }

  public int dataPort() {
    return listeners.isEmpty() ? -1 : listeners.get(0).verticle().actualPort();
  }

  public int adminPort() {
    return admin == null ? -1 : admin.actualPort();
  }

  public boolean nativeTransport() {
    return vertx.isNativeTransportEnabled();
  }
}
