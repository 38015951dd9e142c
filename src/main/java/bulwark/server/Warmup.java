package bulwark.server;

import bulwark.admin.GatewayView;
import bulwark.config.AccessLogConfig;
import bulwark.config.BulwarkConfig;
import bulwark.config.ConfigLoader;
import bulwark.config.Durations;
import bulwark.config.HostPort;
import bulwark.filter.ratelimit.RateLimitRegistry;
import bulwark.log.AccessLog;
import bulwark.observe.Telemetry;
import bulwark.observe.metrics.GatewayMetrics;
import bulwark.proxy.DataPlane;
import bulwark.proxy.ProxyHandler;
import bulwark.proxy.Snapshot;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.target.TargetStates;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The self-warm-up before readiness (server.warmup): for a few seconds after the listeners are
 * bound, the gateway sends requests to its own data listener, on keep-alive connections spread over
 * every event loop, so the JIT compiles the request path (listener, route matching, filter chain,
 * proxy, upstream pool, response relay, access log, metrics) before a load balancer sends traffic.
 *
 * <p>The requests never reach a configured upstream. They go to a stub upstream this class runs on
 * an ephemeral loopback port, through a warm-up snapshot of their own: a route table with one route
 * to the stub, compiled by the same code as the serving one, served by a {@link ProxyHandler} of
 * their own on each event loop (the same classes, hence the same compiled code, as the serving
 * handler). Its access log goes to a logger that discards, its metrics to a registry nobody
 * scrapes, its in-flight count is its own: nothing an operator reads is polluted by the warm-up.
 *
 * <p>The listener tells a warm-up request from a client's by a per-process secret: a header
 * carrying 128 random bits that only this process knows, checked only while the warm-up runs (the
 * entry is removed when it ends, so afterwards the header means nothing). A client cannot reach the
 * stub: it would have to guess the secret, within the few seconds it exists. Clients are served
 * normally meanwhile (the listener is open; only readiness waits).
 *
 * <p>A warm-up that fails (the stub cannot bind, the listener cannot be reached) is logged with its
 * cause and the gateway gets ready anyway: a cold gateway is better than none.
 */
final class Warmup {
  private static final Logger LOG = LoggerFactory.getLogger(Warmup.class);

  /** The header that marks the gateway's own warm-up requests. */
  static final String HEADER = "Bulwark-Warmup";

  private static final CharSequence HEADER_CS = HttpHeaders.createOptimized(HEADER);

  /**
   * Where the stub upstream binds; a test points it at an address that cannot be bound to see a
   * failed warm-up (system property bulwark.warmup.stubHost).
   */
  static String stubHost() {
    return System.getProperty("bulwark.warmup.stubHost", "127.0.0.1");
  }

  /**
   * Keep-alive connections per event loop (each carries one request at a time), as many as the
   * benchmark's wrk opens to one loop: on a busy machine a cold gateway's latency is mostly waiting
   * for the CPU, and only concurrency gets requests through. At most {@link #MAX_CONNECTIONS}.
   */
  private static final int CONNECTIONS_PER_LOOP = 64;

  private static final int MAX_CONNECTIONS = 256;

  /**
   * How long the set-up (stub, client, the first answer through a cold JVM: class loading) may take
   * before the load phase; server.warmup counts from the first answer.
   */
  private static final long SETUP_LIMIT_MS = 10_000;

  private static final String STUB_BODY =
      "{\"ok\":true,\"service\":\"bulwark-warmup\",\"items\":[1,2,3]}";
  private static final Buffer POST_BODY = Buffer.buffer("{\"warmup\":\"" + "x".repeat(480) + "\"}");

  /** What the listener of one event loop needs while the warm-up runs. */
  record Entry(String marker, ProxyHandler proxy) {
    /** Whether {@code req} is one of the warm-up's own requests. */
    boolean marks(HttpServerRequest req) {
      String v = req.getHeader(HEADER_CS);
      return v != null && v.equals(marker);
    }
  }

  enum State {
    RUNNING,
    DONE,
    FAILED,
    SKIPPED
  }

  private final Gateway gateway;
  private final Vertx vertx;
  private final BulwarkConfig config;
  private final Duration duration;
  private final int loops;
  private final String marker;
  private final LongAdder requests = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final AtomicReference<String> firstFailure = new AtomicReference<>();
  private final AtomicBoolean ended = new AtomicBoolean();
  private volatile State state = State.RUNNING;
  private volatile String detail;
  private volatile boolean stopping;
  private volatile boolean answered;
  private volatile boolean settled;
  private final JitSettle jitSettle =
      compileClock == null ? JitSettle.ofThisJvm() : new JitSettle(compileClock);

  /**
   * The JVM's total compilation time in milliseconds as the warm-up reads it; a test replaces it to
   * make the JIT settle at once, or never (null: the JVM's own).
   */
  static volatile java.util.function.LongSupplier compileClock;

  // what the warm-up built, on whichever event loop its step ran; released by end(), maybe on
  // another
  private volatile HttpServer stub;
  private volatile HttpClientAgent client;
  private volatile WarmupPlane plane;
  private volatile long progressTimer = -1;
  private volatile long deadlineTimer = -1;
  private volatile long safetyTimer = -1;
  private volatile long started;

  /** Starts the load phase's clock; run once, by the first answer. */
  private volatile Runnable firstAnswer;

  private static final java.util.concurrent.atomic.AtomicReferenceFieldUpdater<Warmup, Runnable>
      FIRST =
          java.util.concurrent.atomic.AtomicReferenceFieldUpdater.newUpdater(
              Warmup.class, Runnable.class, "firstAnswer");

  private Warmup(Gateway gateway, Vertx vertx, BulwarkConfig config, int loops) {
    this.gateway = gateway;
    this.vertx = vertx;
    this.config = config;
    this.duration = config.server().warmup() == null ? Duration.ZERO : config.server().warmup();
    this.loops = loops;
    byte[] secret = new byte[16];
    new SecureRandom().nextBytes(secret);
    this.marker = HexFormat.of().formatHex(secret);
  }

  /**
   * Starts the warm-up in the background (or skips it when server.warmup is 0s); readiness waits
   * for {@link #running()} to turn false.
   */
  static Warmup start(Gateway gateway, Vertx vertx, BulwarkConfig config, int loops) {
    Warmup w = new Warmup(gateway, vertx, config, loops);
    if (w.duration.isZero()) {
      w.state = State.SKIPPED;
      w.detail = "server.warmup is 0s";
      return w;
    }
    w.begin();
    return w;
  }

  private int connections() {
    return Math.min(MAX_CONNECTIONS, CONNECTIONS_PER_LOOP * loops);
  }

  boolean running() {
    return state == State.RUNNING;
  }

  /** What /health/ready shows of the warm-up. */
  GatewayView.WarmupStatus status() {
    return new GatewayView.WarmupStatus(
        state.name(), duration, requests.sum(), failed.sum(), detail);
  }

  /** The per-process secret of the warm-up requests (tests). */
  String marker() {
    return marker;
  }

  private void begin() {
    started = System.nanoTime();
    LOG.info(
        "warm-up: {} of requests (from the first answer) through the data listener to a stub upstream on {}, {} connection(s) over {} event loop(s); /health/ready answers 503 until it ends",
        Durations.format(duration),
        stubHost(),
        connections(),
        loops);
    startStub()
        .compose(this::install)
        .onSuccess(v -> drive())
        .onFailure(e -> end(State.FAILED, String.valueOf(e.getMessage())));
  }

  /** The stub upstream: a small JSON answer to anything, on an ephemeral loopback port. */
  private Future<Integer> startStub() {
    String host = stubHost();
    return vertx
        .createHttpServer(new HttpServerOptions().setHost(host).setPort(0).setTcpNoDelay(true))
        .requestHandler(
            req ->
                req.body()
                    .onComplete(
                        b ->
                            req.response()
                                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                                .end(STUB_BODY)))
        .listen()
        .recover(
            e ->
                Future.failedFuture(
                    "the stub upstream could not bind on " + host + ": " + e.getMessage()))
        .map(
            s -> {
              stub = s;
              return s.actualPort();
            });
  }

  /**
   * Compiles the warm-up snapshot (one route to the stub, the serving config's server and
   * observability settings) and gives every listener its warm-up handler.
   */
  private Future<Void> install(int stubPort) {
    Snapshot snap;
    try {
      snap = compile(stubPort);
    } catch (Exception e) {
      return Future.failedFuture("the warm-up route table did not compile: " + e.getMessage());
    }
    plane = new WarmupPlane(gateway, snap, config);
    snap.table().upstreams().values().forEach(u -> u.start(vertx));
    return gateway
        .listeners()
        .onEachLoop(v -> v.warmup(new Entry(marker, new ProxyHandler(vertx, plane))))
        .mapEmpty();
  }

  private Snapshot compile(int stubPort) throws Exception {
    String yaml =
        """
        upstreams:
          bulwark-warmup:
            targets: [ { url: "http://%s:%d" } ]
        routes:
          - name: bulwark-warmup
            match: { path: "/bulwark-warmup/**" }
            upstream: bulwark-warmup
        """
            .formatted(stubHost(), stubPort);
    BulwarkConfig routing = new ConfigLoader(name -> null).parse(yaml);
    BulwarkConfig cfg =
        new BulwarkConfig(
            config.server(),
            config.admin(),
            config.observability(),
            config.cluster(),
            routing.upstreams(),
            routing.middlewares(),
            routing.versioning(),
            routing.routes(),
            routing.groups(),
            routing.remediation());
    try (RateLimitRegistry none = new RateLimitRegistry()) {
      return new SnapshotCompiler(new TargetStates(), none, () -> Telemetry.NONE)
          .compile(cfg, null, 0);
    }
  }

  /** Keeps every connection busy until the deadline, logging progress every second. */
  private void drive() {
    HostPort listen = HostPort.parse(config.server().listen());
    boolean tls = config.server().tls() != null;
    HttpClientOptions opts =
        new HttpClientOptions()
            .setDefaultHost(loopbackFor(listen.host()))
            .setDefaultPort(gateway.dataPort())
            .setKeepAlive(true)
            .setTcpNoDelay(true)
            .setSsl(tls)
            .setTrustAll(tls)
            .setVerifyHost(false);
    int connections = connections();
    client =
        vertx
            .httpClientBuilder()
            .with(opts)
            .with(new PoolOptions().setHttp1MaxSize(connections))
            .build();
    long deadlineMs = Math.max(1, duration.toMillis());
    progressTimer = vertx.setPeriodic(1000, id -> progress());
    // server.warmup counts from the first answer (see loop); the set-up before it is bounded apart
    firstAnswer =
        () -> {
          answered = true;
          deadlineTimer = vertx.setTimer(deadlineMs, id -> stopping = true);
        };
    AtomicInteger workers = new AtomicInteger(connections);
    for (int i = 0; i < connections; i++) {
      loop(i, 0)
          .onComplete(
              v -> {
                if (workers.decrementAndGet() == 0) finish();
              });
    }
    // a worker stuck on a request that never ends does not hold readiness back
    safetyTimer = vertx.setTimer(SETUP_LIMIT_MS + deadlineMs + 10_000, id -> finish());
  }

  /**
   * Logs the progress of the last second; once the load phase runs and the JIT has settled (the
   * request path is compiled), ends the warm-up before server.warmup is up.
   */
  private void progress() {
    long jit = jitSettle.sample();
    LOG.info(
        "warm-up: {} requests so far ({} failed){}",
        requests.sum(),
        failed.sum(),
        jit < 0 ? "" : ", " + jit + " ms of JIT compilation in the last second");
    if (answered && !stopping && jitSettle.settled()) {
      settled = true;
      stopping = true;
    }
  }

  /** One connection's requests, one after the other, until the deadline. */
  private Future<Void> loop(int worker, long n) {
    if (stopping) return Future.succeededFuture();
    Promise<Void> done = Promise.promise();
    send(worker, n)
        .onComplete(
            r -> {
              Runnable first = firstAnswer;
              if (first != null && FIRST.compareAndSet(this, first, null)) first.run();
              requests.increment();
              if (r.failed() || r.result() / 100 != 2) {
                failed.increment();
                firstFailure.compareAndSet(
                    null, r.failed() ? String.valueOf(r.cause()) : "status " + r.result());
                // a refused or failing listener: stop early rather than spin
                if (r.failed() && requests.sum() == failed.sum() && failed.sum() >= 100)
                  stopping = true;
              }
              loop(worker, n + 1).onComplete(done);
            });
    return done.future();
  }

  /** One request: mostly GETs, every fourth a POST with a small JSON body. */
  private Future<Integer> send(int worker, long n) {
    boolean post = n % 4 == 3;
    RequestOptions ro =
        new RequestOptions()
            .setMethod(post ? HttpMethod.POST : HttpMethod.GET)
            .setURI("/bulwark-warmup/items/" + (n % 100) + "?w=" + worker)
            .setIdleTimeout(SETUP_LIMIT_MS)
            .putHeader(HEADER_CS, marker)
            .putHeader(HttpHeaders.ACCEPT, "application/json")
            .putHeader(HttpHeaders.USER_AGENT, "bulwark-warmup");
    if (post) ro.putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
    return client
        .request(ro)
        // the body handler is set in the send's own callback: a step chained after it may run once
        // the body went by, and the request would never end
        .compose(
            req ->
                (post ? req.send(POST_BODY) : req.send())
                    .compose(resp -> resp.body().map(b -> resp.statusCode())));
  }

  /** Every worker is done (or the safety timer fired): release everything, then report. */
  private void finish() {
    long ok = requests.sum() - failed.sum();
    if (ok == 0)
      end(
          State.FAILED,
          "no request succeeded"
              + (firstFailure.get() == null ? "" : ", first failure: " + firstFailure.get()));
    else {
      String why = settled ? "the JIT settled before server.warmup was up" : null;
      if (failed.sum() > 0)
        why =
            (why == null ? "" : why + "; ")
                + failed.sum()
                + " failed, first: "
                + firstFailure.get();
      end(State.DONE, why);
    }
  }

  private void end(State result, String why) {
    if (!ended.compareAndSet(false, true)) return;
    if (progressTimer >= 0) vertx.cancelTimer(progressTimer);
    if (deadlineTimer >= 0) vertx.cancelTimer(deadlineTimer);
    if (safetyTimer >= 0) vertx.cancelTimer(safetyTimer);
    stopping = true;
    detail = why;
    double secs = (System.nanoTime() - started) / 1e9;
    Future<?> removed = gateway.listeners().onEachLoop(v -> v.endWarmup());
    removed
        .eventually(() -> client == null ? Future.succeededFuture() : client.close())
        .eventually(() -> stub == null ? Future.succeededFuture() : stub.close())
        .eventually(() -> result == State.DONE ? compactHeap() : Future.succeededFuture())
        .onComplete(
            v -> {
              if (plane != null) plane.close();
              state = result;
              if (result == State.DONE)
                LOG.info(
                    "warm-up done: {} requests in {}s{}; ready",
                    requests.sum(),
                    String.format("%.1f", secs),
                    why == null ? "" : " (" + why + ")");
              else
                LOG.warn(
                    "warm-up failed after {} requests in {}s: {}; ready without it (the first requests will be slower)",
                    requests.sum(),
                    String.format("%.1f", secs),
                    why);
            });
  }

  /**
   * Gives back the warm-up's garbage and the heap its load grew before the gateway reports ready,
   * off the event loop ({@link HeapTrim}): an idle gateway holds its live size, not the warm-up's.
   */
  private Future<Void> compactHeap() {
    return vertx.executeBlocking(
        () -> {
          HeapTrim.Result r = HeapTrim.run();
          LOG.debug(
              "heap after the warm-up: {} KB -> {} KB; {}",
              r.heapBefore() >> 10,
              r.heapAfter() >> 10,
              r.nativeHeap());
          return null;
        },
        false);
  }

  /** Ends the warm-up early (shutdown). */
  void stop() {
    stopping = true;
  }

  /** The address the warm-up client connects to for a listener bound on {@code host}. */
  static String loopbackFor(String host) {
    if (host == null || host.isEmpty() || host.equals("0.0.0.0") || host.equals("*"))
      return "127.0.0.1";
    if (host.equals("::") || host.equals("[::]")) return "::1";
    return host;
  }

  /**
   * What the warm-up's handlers see instead of the gateway: the warm-up snapshot, an access log
   * that discards, metrics nobody scrapes, an in-flight count of their own.
   */
  private static final class WarmupPlane implements DataPlane {
    private final Gateway gateway;
    private final Snapshot snapshot;
    private final AccessLog accessLog = new AccessLog("bulwark.warmup.access");
    private final PrometheusMeterRegistry registry;
    private final GatewayMetrics metrics;
    private final LongAdder inFlight = new LongAdder();

    WarmupPlane(Gateway gateway, Snapshot snapshot, BulwarkConfig config) {
      this.gateway = gateway;
      this.snapshot = snapshot;
      // the access-log code runs as it will for clients, and its lines go nowhere
      accessLog.configure(
          new AccessLogConfig(config.observability().accessLog().enabled(), "/dev/null"));
      if (config.observability().metrics().enabled()) {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        metrics = new GatewayMetrics(gateway, registry);
      } else {
        registry = null;
        metrics = null;
      }
    }

    @Override
    public Snapshot snapshot() {
      return snapshot;
    }

    @Override
    public boolean draining() {
      return gateway.draining();
    }

    @Override
    public AccessLog accessLog() {
      return accessLog;
    }

    @Override
    public Telemetry telemetry() {
      return metrics == null ? Telemetry.NONE : Telemetry.of(List.of(metrics));
    }

    @Override
    public void requestStarted() {
      inFlight.increment();
    }

    @Override
    public void requestFinished() {
      inFlight.decrement();
    }

    void close() {
      snapshot.table().upstreams().values().forEach(UpstreamRuntime::retire);
      accessLog.stop();
      if (metrics != null) metrics.close();
      if (registry != null) registry.close();
    }
  }
}
