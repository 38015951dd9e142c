package bulwark.upstream;

import bulwark.config.BreakerScope;
import bulwark.config.UpstreamConfig;
import bulwark.upstream.discovery.DnsDiscovery;
import bulwark.upstream.health.UpstreamHealth;
import bulwark.upstream.resilience.Breaker;
import bulwark.upstream.resilience.OverloadGuard;
import bulwark.upstream.resilience.RetryPolicy;
import bulwark.upstream.target.Outcome;
import bulwark.upstream.target.Target;
import bulwark.upstream.target.TargetStates;
import bulwark.upstream.target.UpstreamEvents;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One upstream of one config generation: its targets (whose live state outlives reloads), its
 * balancer and its timeouts. A reload that leaves an upstream's config unchanged reuses this
 * object, and with it the upstream connection pools.
 */
public final class UpstreamRuntime {
  private final String name;
  private final UpstreamConfig config;
  private final List<Target> targets;
  private final Balancer balancer;
  private final HashOn hashOn;
  private final UpstreamHealth health;
  private final Clock clock;

  /** The upstream-scope breaker, or null (none, or scope route). */
  private final Breaker breaker;

  /** Route-scope breakers by route name, created on first use; kept while this runtime lives. */
  private final Map<String, Breaker> routeBreakers = new ConcurrentHashMap<>();

  private final RetryPolicy retry;
  private final OverloadGuard overload;
  private volatile boolean retired;
  private volatile boolean breakersForced;
  private final UpstreamEvents events;

  /** The DNS discovery this upstream's targets come from, or null (a fixed list). */
  private volatile DnsDiscovery discovery;

  /** Mirror copies in flight to this upstream, over every route that mirrors to it. */
  private final AtomicInteger mirrors = new AtomicInteger();

  public UpstreamRuntime(String name, UpstreamConfig config, TargetStates states) {
    this(name, config, states, Clock.systemUTC());
  }

  public UpstreamRuntime(String name, UpstreamConfig config, TargetStates states, Clock clock) {
    this(name, config, states, clock, UpstreamEvents.NONE);
  }

  /**
   * @param events hears this upstream's breaker transitions
   */
  public UpstreamRuntime(
      String name, UpstreamConfig config, TargetStates states, Clock clock, UpstreamEvents events) {
    this.name = name;
    this.events = events;
    this.clock = clock;
    this.config = config;
    this.targets =
        config.targets().stream()
            .map(
                t -> {
                  java.net.URI u = java.net.URI.create(t.url());
                  boolean ssl = "https".equals(u.getScheme());
                  int port = u.getPort() > 0 ? u.getPort() : ssl ? 443 : 80;
                  String host =
                      u.getHost().startsWith("[")
                          ? u.getHost().substring(1, u.getHost().length() - 1)
                          : u.getHost();
                  String key = targetKey(host, port);
                  return new Target(key, host, port, ssl, t.weight(), states.stateFor(key));
                })
            .toList();
    this.hashOn = HashOn.parse(config.hashOn());
    this.balancer = Balancers.newBalancer(config.balancer(), targets, hashOn);
    this.health = UpstreamHealth.of(name, config.healthCheck(), targets, config.tls());
    var cb = config.circuitBreaker();
    this.breaker =
        cb != null && cb.scope() != BreakerScope.ROUTE
            ? new Breaker(name, name, cb, clock, events)
            : null;
    this.retry = config.retry() == null ? null : new RetryPolicy(config.retry(), System::nanoTime);
    this.overload = new OverloadGuard(config.overload());
  }

  /**
   * The key ("host:port", "[v6]:port") of the target at {@code url}: the address its live state is
   * kept under.
   */
  public static String targetKey(String url) {
    java.net.URI u = java.net.URI.create(url);
    int port = u.getPort() > 0 ? u.getPort() : "https".equals(u.getScheme()) ? 443 : 80;
    String host =
        u.getHost().startsWith("[")
            ? u.getHost().substring(1, u.getHost().length() - 1)
            : u.getHost();
    return targetKey(host, port);
  }

  private static String targetKey(String host, int port) {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  public String name() {
    return name;
  }

  public UpstreamConfig config() {
    return config;
  }

  public List<Target> targets() {
    return targets;
  }

  /**
   * Whether this upstream's pools need a TLS engine: an https:// target or a tls section. An
   * upstream of http:// targets only does not load one (netty-tcnative's OpenSSL loads a native
   * library, about a quarter of a second before the first proxied answer).
   */
  public boolean needsTls() {
    return config.tls() != null || targets.stream().anyMatch(Target::ssl);
  }

  public Balancer balancer() {
    return balancer;
  }

  /** What consistent_hash hashes a request on (client_ip when not set, and for other balancers). */
  public HashOn hashOn() {
    return hashOn;
  }

  /**
   * The SNI and verified name for https targets when it differs from their URL's host, else null.
   */
  public String serverName() {
    return config.tls() == null ? null : config.tls().serverName();
  }

  public long connectMillis() {
    return config.timeouts().connect().toMillis();
  }

  public long responseMillis() {
    return config.timeouts().response().toMillis();
  }

  /** Each try's time to its response head: retry.perTryTimeout when set, else timeouts.response. */
  public long tryMillis() {
    return retry != null && retry.perTryMillis() > 0 ? retry.perTryMillis() : responseMillis();
  }

  /**
   * Set when a reload replaced this upstream; its connection pools are then shut down gracefully.
   */
  public boolean retired() {
    return retired;
  }

  public void retire() {
    retired = true;
    health.stop();
  }

  /**
   * Starts background work (active health checks). Called once the table holding it is published.
   */
  public void start(Vertx vertx) {
    health.start(vertx);
  }

  /** The DNS discovery this upstream's targets come from, or null (a fixed list of targets). */
  public DnsDiscovery discovery() {
    return discovery;
  }

  /** Set by the gateway before the table that holds this upstream is published. */
  public void discovery(DnsDiscovery d) {
    this.discovery = d;
  }

  public UpstreamHealth health() {
    return health;
  }

  /**
   * Admits a request to this upstream, for its first attempt: a place in the in-flight count
   * (overload), the retry budget's count of requests, a breaker permission (refused when {@code
   * breakerForcedOpen}: remediation's useFallback), then a target. Each step that refuses gives
   * back what the earlier ones took.
   *
   * @param route the route's name, for route-scope breakers
   * @param request what consistent_hash hashes on
   */
  public Admission admit(String route, HashOn.Source request, boolean breakerForcedOpen) {
    OverloadGuard.Refusal over = overload.tryAcquire();
    if (over != null)
      return Admission.refused(
          over == OverloadGuard.Refusal.IN_FLIGHT
              ? Admission.Refusal.IN_FLIGHT
              : Admission.Refusal.ADAPTIVE);
    int inFlightAtStart = overload.inFlight();
    if (retry != null) retry.budget().onRequest();
    Breaker b = breakerFor(route);
    if (breakerForcedOpen || b != null && !b.tryAcquire()) {
      overload.release();
      return new Admission.Refused(
          Admission.Refusal.BREAKER_OPEN, b == null ? 1 : b.retryAfterSeconds());
    }
    Target t = pickFor(request, Set.of());
    if (t == null) {
      if (b != null) b.release();
      overload.release();
      return Admission.refused(Admission.Refusal.NO_TARGET);
    }
    return new Admission.Admitted(new Attempt(this, route, t, b, inFlightAtStart, 1, null));
  }

  /**
   * Picks a usable target for {@code request} not in {@code exclude} (the targets this request
   * already tried), or null. With health panic mode on and nothing usable, any target not excluded.
   */
  public Target pickFor(HashOn.Source request, Set<Target> exclude) {
    return orPanic(balancer.pickFor(request, exclude), exclude);
  }

  /** {@link #pickFor} by a ready hash key (null: none). */
  public Target pick(String hashKey, Set<Target> exclude) {
    return orPanic(balancer.pick(hashKey, exclude), exclude);
  }

  private Target orPanic(Target t, Set<Target> exclude) {
    if (t != null) {
      if (health.panicking()) {
        health.panicOver();
      }
      return t;
    }
    return health.panic() ? health.panicPick(exclude) : null;
  }

  /** The breaker a request on this route goes through, or null when the upstream has none. */
  public Breaker breakerFor(String route) {
    if (breaker != null) return breaker;
    var cb = config.circuitBreaker();
    if (cb == null) return null;
    return routeBreakers.computeIfAbsent(
        route,
        r -> {
          Breaker b = new Breaker(name + "/" + r, name, cb, clock, events);
          if (breakersForced) b.force(true);
          return b;
        });
  }

  /**
   * Forces every breaker of this upstream open (remediation's openBreaker), or releases them back
   * to CLOSED; route-scope breakers created while forced start forced.
   */
  public void forceBreakers(boolean open) {
    breakersForced = open;
    if (breaker != null) breaker.force(open);
    routeBreakers.values().forEach(b -> b.force(open));
  }

  /** The live breakers: the upstream-scope one, or the route-scope ones created so far. */
  public List<Breaker> breakers() {
    return breaker != null ? List.of(breaker) : List.copyOf(routeBreakers.values());
  }

  /** The retry policy, or null when this upstream does not retry. */
  public RetryPolicy retry() {
    return retry;
  }

  public OverloadGuard overload() {
    return overload;
  }

  /**
   * Breakers, overload and retry budget state, for the admin API (merged into each upstream's
   * JSON).
   */
  public Map<String, Object> resilienceInfo() {
    Map<String, Object> out = new LinkedHashMap<>();
    if (breaker != null) {
      out.put("circuitBreaker", breakerInfo(breaker));
    } else if (!routeBreakers.isEmpty()) {
      Map<String, Object> byRoute = new LinkedHashMap<>();
      routeBreakers.forEach((r, b) -> byRoute.put(r, breakerInfo(b)));
      out.put("circuitBreakers", byRoute);
    }
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("inFlight", overload.inFlight());
    o.put("maxInFlight", overload.maxInFlight());
    o.put("pending", overload.pending());
    o.put("maxPending", overload.maxPending());
    if (overload.adaptiveLimit() >= 0) o.put("adaptiveLimit", overload.adaptiveLimit());
    out.put("overload", o);
    if (retry != null) {
      out.put(
          "retryBudget",
          Map.of(
              "retriesInWindow",
              retry.budget().retriesInWindow(),
              "allowedInWindow",
              retry.budget().allowed()));
    }
    return out;
  }

  private static Map<String, Object> breakerInfo(Breaker b) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("state", b.state());
    m.put("failureRate", b.failureRate());
    m.put("slowCallRate", b.slowCallRate());
    m.put("bufferedCalls", b.bufferedCalls());
    return m;
  }

  /**
   * Takes a place for a mirror copy to this upstream while fewer than {@code max} are in flight;
   * false: none taken (the copy is dropped). A copy holds no overload, breaker or retry-budget
   * permit: those are the upstream's own traffic's. Then {@link #mirrorDone} once. Any thread.
   */
  public boolean tryMirror(int max) {
    for (int n = mirrors.get(); n < max; n = mirrors.get()) {
      if (mirrors.compareAndSet(n, n + 1)) return true;
    }
    return false;
  }

  /** A mirror copy let go of its place ({@link #tryMirror}). */
  public void mirrorDone() {
    mirrors.decrementAndGet();
  }

  /** Mirror copies in flight to this upstream. */
  public int mirrorsInFlight() {
    return mirrors.get();
  }

  /** Reports how one try against a target ended: feeds passive health. Any thread. */
  public void recordOutcome(Target target, Outcome outcome) {
    health.onOutcome(target, outcome);
  }
}
