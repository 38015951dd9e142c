package bulwark.filter.auth;

import com.nimbusds.jose.jwk.JWK;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keys from a JWKS URL, fetched with the Vert.x HTTP client on the event loop of the request that
 * needs them, never blocking it:
 *
 * <ul>
 *   <li>the first request waits for the first fetch (concurrent ones share it);
 *   <li>once the keys are older than {@code refresh}, a request starts a fetch in the background
 *       and is served with the keys at hand;
 *   <li>a token naming an unknown kid starts a fetch at once and waits for it; fetches for unknown
 *       kids happen at most once per {@code minRefresh}, so one arriving sooner waits for the next
 *       (shared) fetch, up to minRefresh, and is refused with 401 only if its kid is still unknown;
 *   <li>when fetches fail, the last good keys serve until they are {@code maxStale} old; after that
 *       tokens are refused with 503 until a fetch succeeds.
 * </ul>
 *
 * Only asymmetric keys are taken from a URL. The response is capped at 1 MiB.
 */
public final class JwksKeys implements KeySource {
  private static final Logger LOG = LoggerFactory.getLogger(JwksKeys.class);
  static final int MAX_BYTES = 1 << 20;

  private record Loaded(List<JWK> keys, long fetchedAt) {}

  private final String url;
  private final long refreshMillis;
  private final long minRefreshMillis;
  private final long maxStaleMillis;
  private final long timeoutMillis;
  private final Clock clock;
  private volatile Loaded loaded;
  private final AtomicReference<Future<Loaded>> inflight = new AtomicReference<>();
  private final AtomicReference<Future<Loaded>> deferred = new AtomicReference<>();
  private volatile long lastKidFetch = Long.MIN_VALUE / 2;
  private volatile long lastAttempt = Long.MIN_VALUE / 2;
  private volatile Vertx owner;
  private volatile HttpClient client;

  public JwksKeys(
      String url,
      Duration refresh,
      Duration minRefresh,
      Duration maxStale,
      Duration timeout,
      Clock clock) {
    this.url = url;
    this.refreshMillis = refresh.toMillis();
    this.minRefreshMillis = minRefresh.toMillis();
    this.maxStaleMillis = maxStale.toMillis();
    this.timeoutMillis = timeout.toMillis();
    this.clock = clock;
  }

  @Override
  public Future<List<JWK>> keys(String kid) {
    long now = clock.millis();
    Loaded l = loaded;
    if (l == null || now - l.fetchedAt > maxStaleMillis) {
      // nothing usable: wait for a fetch (a failed one is retried at most once per minRefresh)
      Future<Loaded> f = inflight.get();
      if (f == null && now - lastAttempt < minRefreshMillis) return unavailable();
      return fetch()
          .transform(
              ar -> ar.succeeded() ? Future.succeededFuture(ar.result().keys) : unavailable());
    }
    if (now - l.fetchedAt > refreshMillis && now - lastAttempt >= minRefreshMillis)
      fetch(); // background
    if (kid != null && !has(l.keys, kid)) {
      Future<Loaded> f = inflight.get();
      if (f == null) {
        long wait = lastKidFetch + minRefreshMillis - now;
        if (wait > 0) {
          f = deferredFetch(wait);
        } else {
          lastKidFetch = now;
          f = fetch();
        }
      }
      return f.transform(
          ar -> Future.succeededFuture(ar.succeeded() ? ar.result().keys : loadedKeys()));
    }
    return Future.succeededFuture(l.keys);
  }

  /**
   * The fetch for unknown kids that arrive within minRefresh of the last one: one shared fetch when
   * the interval is over. Such a token waits for it rather than being refused, so a key published
   * just after a refresh is still found (no false 401 during a rotation), and fetches stay
   * rate-limited.
   */
  private Future<Loaded> deferredFetch(long wait) {
    Future<Loaded> d = deferred.get();
    if (d != null) return d;
    Context ctx = Vertx.currentContext();
    if (ctx == null) return Future.failedFuture("no Vert.x context");
    Promise<Loaded> p = Promise.promise();
    Future<Loaded> mine = p.future();
    Future<Loaded> other = deferred.compareAndExchange(null, mine);
    if (other != null) return other;
    ctx.owner()
        .setTimer(
            wait,
            t -> {
              deferred.set(null);
              lastKidFetch = clock.millis();
              fetch().onComplete(p);
            });
    return mine;
  }

  private List<JWK> loadedKeys() {
    Loaded l = loaded;
    return l == null ? List.of() : l.keys;
  }

  private static boolean has(List<JWK> keys, String kid) {
    for (JWK k : keys) if (k.getKeyID() == null || kid.equals(k.getKeyID())) return true;
    return false;
  }

  private static <T> Future<T> unavailable() {
    return Future.failedFuture(new Rejection(503, null, "the signing keys are unavailable"));
  }

  /** Starts a fetch unless one is running; returns the running one. */
  Future<Loaded> fetch() {
    Promise<Loaded> p = Promise.promise();
    Future<Loaded> mine = p.future();
    Future<Loaded> running = inflight.compareAndExchange(null, mine);
    if (running != null) return running;
    lastAttempt = clock.millis();
    try {
      get()
          .onComplete(
              ar -> {
                inflight.set(null);
                if (ar.succeeded()) {
                  Loaded l = new Loaded(List.copyOf(ar.result()), clock.millis());
                  loaded = l;
                  LOG.debug(
                      "JWKS from {}: {} keys {}",
                      url,
                      l.keys.size(),
                      l.keys.stream().map(k -> k.getKeyID()).toList());
                  p.complete(l);
                } else {
                  LOG.warn("JWKS fetch from {} failed: {}", url, ar.cause().toString());
                  p.fail(ar.cause());
                }
              });
    } catch (RuntimeException e) {
      inflight.set(null);
      p.fail(e);
    }
    return mine;
  }

  private Future<List<JWK>> get() {
    Context ctx = Vertx.currentContext();
    if (ctx == null)
      return Future.failedFuture(new IllegalStateException("JWKS fetch outside a Vert.x context"));
    HttpClient c = client(ctx.owner());
    RequestOptions o =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setAbsoluteURI(url)
            .setConnectTimeout(timeoutMillis)
            .setIdleTimeout(timeoutMillis)
            .putHeader("Accept", "application/json");
    return CappedFetch.fetch(ctx.owner(), c, o, null, MAX_BYTES, timeoutMillis)
        .compose(
            b ->
                Future.succeededFuture(
                    KeySource.parse(b.toString(java.nio.charset.StandardCharsets.UTF_8), false)));
  }

  private synchronized HttpClient client(Vertx vertx) {
    if (owner != vertx || client == null) {
      owner = vertx;
      client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true));
    }
    return client;
  }
}
