package bulwark.filter.auth.basic;

import at.favre.lib.crypto.bcrypt.BCrypt;
import at.favre.lib.crypto.bcrypt.LongPasswordStrategies;
import bulwark.config.BasicAuthConfig;
import bulwark.filter.Chain;
import bulwark.filter.Exchange;
import bulwark.filter.Filter;
import bulwark.filter.auth.Digest;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

/**
 * The {@code basicAuth} middleware: HTTP Basic credentials checked against bcrypt hashes. A bcrypt
 * check takes tens of milliseconds of CPU, so it runs on a worker thread ({@code executeBlocking}),
 * never on the event loop, and a success is remembered for {@code cacheFor} under the SHA-256 of
 * the presented credentials (compared in constant time), so a client's next requests cost a hash.
 * An unknown user is checked against a dummy hash, so the answer takes as long as a wrong password.
 */
public final class BasicAuthFilter implements Filter {
  private static final BCrypt.Verifyer BCRYPT =
      BCrypt.verifyer(
          BCrypt.Version.VERSION_2Y, LongPasswordStrategies.truncate(BCrypt.Version.VERSION_2Y));

  /** Checked when the user is unknown, so that case costs a bcrypt check too. */
  private static final byte[] DUMMY =
      BCrypt.with(BCrypt.Version.VERSION_2Y)
          .hash(10, java.util.UUID.randomUUID().toString().getBytes(StandardCharsets.US_ASCII));

  private final String challenge;
  private final Map<String, byte[]> users;
  private final boolean keep;

  /** SHA-256 of "user:password" to the user name, for successes only. */
  private final Cache<Digest, String> verified;

  public BasicAuthFilter(BasicAuthConfig config) {
    this.challenge =
        "Basic realm=\""
            + (config.realm() == null ? "bulwark" : config.realm())
            + "\", charset=\"UTF-8\"";
    java.util.HashMap<String, byte[]> m = new java.util.HashMap<>();
    config.users().forEach((u, h) -> m.put(u, h.getBytes(StandardCharsets.US_ASCII)));
    this.users = Map.copyOf(m);
    this.keep = config.keepCredential();
    Duration ttl = config.cacheFor() == null ? Duration.ofSeconds(60) : config.cacheFor();
    this.verified =
        ttl.isZero()
            ? null
            : Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(config.maxCached()).build();
  }

  @Override
  public Future<Void> handle(Exchange ex, Chain next) {
    String auth = ex.request().getHeader("Authorization");
    if (auth == null || auth.length() < 6 || !auth.regionMatches(true, 0, "Basic ", 0, 6)) {
      return refuse(ex, "Basic credentials are required");
    }
    byte[] decoded;
    try {
      decoded = Base64.getDecoder().decode(auth.substring(6).trim());
    } catch (IllegalArgumentException e) {
      return refuse(ex, "the Basic credentials are not valid base64");
    }
    String pair = new String(decoded, StandardCharsets.UTF_8);
    int colon = pair.indexOf(':');
    if (colon < 0) return refuse(ex, "the Basic credentials have no ':' between user and password");
    String user = pair.substring(0, colon);
    Digest key = Digest.sha256(decoded);
    String cached = verified == null ? null : verified.getIfPresent(key);
    if (cached != null) return accept(ex, next, cached);
    byte[] hash = users.get(user);
    byte[] password = pair.substring(colon + 1).getBytes(StandardCharsets.UTF_8);
    Context ctx = Vertx.currentContext();
    if (ctx == null) throw new IllegalStateException("basicAuth runs on a Vert.x context");
    return ctx.executeBlocking(() -> check(password, hash), false)
        .compose(
            ok -> {
              if (ex.answered()) return Future.succeededFuture();
              if (!ok) return refuse(ex, "the user name or password is not valid");
              if (verified != null) verified.put(key, user);
              return accept(ex, next, user);
            });
  }

  /** On a worker thread. */
  static boolean check(byte[] password, byte[] hash) {
    try {
      boolean ok = BCRYPT.verify(password, hash == null ? DUMMY : hash).verified;
      return ok && hash != null;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private Future<Void> accept(Exchange ex, Chain next, String user) {
    ex.consumer(user);
    if (!keep) ex.upstreamHeaders().remove("Authorization");
    return next.next(ex);
  }

  private Future<Void> refuse(Exchange ex, String detail) {
    ex.response().putHeader("WWW-Authenticate", challenge);
    ex.reject(401, "Unauthorized", detail);
    return Future.succeededFuture();
  }
}
