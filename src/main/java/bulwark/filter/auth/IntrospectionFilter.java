package bulwark.filter.auth;

import bulwark.config.FailureMode;
import bulwark.config.IntrospectionConfig;
import bulwark.filter.Chain;
import bulwark.filter.Exchange;
import bulwark.filter.Filter;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code introspection} middleware (RFC 7662): an opaque bearer token is posted to the
 * introspection endpoint with client_secret_basic authentication; an active answer's members are
 * the token's claims, checked with the {@link AccessPolicy} as a JWT's are.
 *
 * <p>Answers are cached by the SHA-256 of the token: an active one for at most {@code cacheTtl} and
 * never past its {@code exp}; an inactive one for {@code inactiveCacheTtl}. Concurrent requests
 * with the same uncached token share one call. When the endpoint fails (error status, timeout, bad
 * JSON) the request is refused with 503 ({@code onFailure: closed}, the default) or let through
 * without identity ({@code open}: no claims, no consumer, forwarded headers removed).
 */
public final class IntrospectionFilter implements Filter {
  private static final Logger LOG = LoggerFactory.getLogger(IntrospectionFilter.class);
  private static final int MAX_BYTES = 256 * 1024;

  /** A cached answer: claims of an active token, or null for an inactive one. */
  record Answer(Map<String, Object> claims, long expiresAt) {}

  private final String endpoint;
  private final String basic;
  private final long cacheTtl;
  private final long inactiveTtl;
  private final int maxEntries;
  private final long timeout;
  private final boolean failOpen;
  private final TokenSource source;
  private final AccessPolicy policy;
  private final Clock clock;
  private final Map<String, Answer> cache = new ConcurrentHashMap<>();
  private final Map<String, Future<Answer>> inflight = new ConcurrentHashMap<>();
  private volatile Vertx owner;
  private volatile HttpClient client;

  public IntrospectionFilter(IntrospectionConfig c, Clock clock) {
    this.endpoint = c.endpoint();
    this.basic =
        c.clientId() == null
            ? null
            : "Basic "
                + Base64.getEncoder()
                    .encodeToString(
                        (form(c.clientId()) + ":" + form(c.clientSecret()))
                            .getBytes(StandardCharsets.UTF_8));
    this.cacheTtl = c.cacheTtl().toMillis();
    this.inactiveTtl = c.inactiveCacheTtl() == null ? 0 : c.inactiveCacheTtl().toMillis();
    this.maxEntries = c.maxCacheEntries();
    this.timeout = c.timeout().toMillis();
    this.failOpen = c.onFailure() == FailureMode.OPEN;
    this.source = TokenSource.parse(c.token());
    this.policy =
        new AccessPolicy(
            c.allow(),
            c.clientRule(),
            c.requireScopes(),
            c.userScopes(),
            c.clientScopes(),
            c.requireClaims(),
            c.forwardClaims());
    this.clock = clock;
  }

  public static IntrospectionFilter of(String name, IntrospectionConfig c, Clock clock) {
    return new IntrospectionFilter(c, clock);
  }

  @Override
  public Future<Void> handle(Exchange ex, Chain next) {
    TokenSource.Token t;
    try {
      t = source.read(ex.request());
      // after reading: for HTTP/1.1 the upstream headers may be the request's own
      policy.stripForwarded(ex.upstreamHeaders());
      if (t == null) throw new Rejection(401, null, "a bearer token is required");
    } catch (Rejection r) {
      AccessPolicy.reject(ex, r);
      return Future.succeededFuture();
    }
    String key = sha256(t.value());
    Answer a = cache.get(key);
    long now = clock.millis();
    if (a != null && a.expiresAt > now) return decide(ex, next, a);
    if (a != null) cache.remove(key, a);
    Context ctx = Vertx.currentContext();
    Future<Answer> f = inflight.get(key);
    if (f == null) {
      Promise<Answer> p = Promise.promise();
      f = inflight.putIfAbsent(key, p.future());
      if (f == null) f = call(t.value(), key, ctx, p);
    }
    return OnContext.back(f, ctx)
        .transform(ar -> ex.answered() ? Future.succeededFuture() : after(ex, next, ar));
  }

  private Future<Void> after(Exchange ex, Chain next, AsyncResult<Answer> ar) {
    if (ar.succeeded()) return decide(ex, next, ar.result());
    if (failOpen) return next.next(ex);
    AccessPolicy.reject(
        ex,
        new Rejection(
            503, null, "the token cannot be checked: the introspection endpoint is unavailable"));
    return Future.succeededFuture();
  }

  private Future<Void> decide(Exchange ex, Chain next, Answer a) {
    try {
      if (a.claims == null) throw Rejection.invalid("the token is not active");
      Object exp = a.claims.get("exp");
      if (exp instanceof Number n && n.longValue() * 1000 <= clock.millis())
        throw Rejection.invalid("the token has expired");
      AccessPolicy.Kind kind = policy.check(a.claims);
      ex.claims(a.claims);
      ex.consumer(AccessPolicy.consumerOf(a.claims, kind));
      policy.forward(ex.upstreamHeaders(), a.claims);
    } catch (Rejection r) {
      AccessPolicy.reject(ex, r);
      return Future.succeededFuture();
    }
    return next.next(ex);
  }

  private Future<Answer> call(String token, String key, Context ctx, Promise<Answer> p) {
    Future<Answer> f = p.future();
    f.onComplete(
        ar -> {
          inflight.remove(key, f);
          if (ar.succeeded()) {
            Answer a = ar.result();
            if (a.expiresAt > clock.millis()) put(key, a);
          } else {
            LOG.warn("introspection at {} failed: {}", endpoint, ar.cause().toString());
          }
        });
    if (ctx == null) {
      p.fail("introspection outside a Vert.x context");
      return f;
    }
    Vertx vertx = ctx.owner();
    RequestOptions o =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setAbsoluteURI(endpoint)
            .setConnectTimeout(timeout)
            .setIdleTimeout(timeout)
            .putHeader("Content-Type", "application/x-www-form-urlencoded")
            .putHeader("Accept", "application/json");
    if (basic != null) o.putHeader("Authorization", basic);
    Buffer form = Buffer.buffer("token=" + form(token) + "&token_type_hint=access_token");
    CappedFetch.fetch(vertx, client(vertx), o, form, MAX_BYTES, timeout)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                p.tryFail(ar.cause());
                return;
              }
              try {
                p.tryComplete(
                    answer(JSONObjectUtils.parse(ar.result().toString(StandardCharsets.UTF_8))));
              } catch (Exception e) {
                p.tryFail(e);
              }
            });
    return f;
  }

  Answer answer(Map<String, Object> json) {
    long now = clock.millis();
    if (!Boolean.TRUE.equals(json.get("active"))) return new Answer(null, now + inactiveTtl);
    long until = now + cacheTtl;
    if (json.get("exp") instanceof Number n) until = Math.min(until, n.longValue() * 1000);
    return new Answer(Map.copyOf(withoutNulls(json)), until);
  }

  private static Map<String, Object> withoutNulls(Map<String, Object> m) {
    Map<String, Object> out = new java.util.HashMap<>(m);
    out.values().removeIf(java.util.Objects::isNull);
    return out;
  }

  private void put(String key, Answer a) {
    if (cache.size() >= maxEntries) {
      long now = clock.millis();
      cache.values().removeIf(x -> x.expiresAt <= now);
      for (Iterator<String> it = cache.keySet().iterator();
          cache.size() >= maxEntries && it.hasNext(); ) {
        it.next();
        it.remove();
      }
    }
    cache.put(key, a);
  }

  /** For tests: answers cached now. */
  int cached() {
    return cache.size();
  }

  private synchronized HttpClient client(Vertx vertx) {
    if (owner != vertx || client == null) {
      owner = vertx;
      client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true));
    }
    return client;
  }

  private static String form(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String sha256(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
