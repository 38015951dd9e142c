package bulwark.filter.auth;

import bulwark.config.JwtConfig;
import bulwark.filter.Chain;
import bulwark.filter.Exchange;
import bulwark.filter.Filter;
import com.nimbusds.jwt.SignedJWT;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

/**
 * The {@code jwt} middleware: reads a bearer token, verifies it ({@link JwtVerifier}) with keys
 * from its {@link KeySource}, applies the {@link AccessPolicy}, then sets {@link Exchange#claims},
 * {@link Exchange#consumer} and the forwarded claim headers. A missing or bad token is answered
 * 401, a token without the required scope, claim or kind 403, both with WWW-Authenticate (RFC 6750)
 * and problem+json; unavailable keys 503. Shared by every event loop.
 */
public final class JwtFilter implements Filter {
  /**
   * Tokens whose signature was verified, by their exact text, with the key that verified them. A
   * hit skips only the signature check (RSA/ECDSA: most of the cost): the time and value claims are
   * checked again on every request, and the entry counts only while that key is still among the
   * token's candidate keys (a rotated-out key ends it). Bounded by total token length.
   */
  private final com.github.benmanes.caffeine.cache.Cache<String, Cached> verified =
      com.github.benmanes.caffeine.cache.Caffeine.newBuilder()
          .maximumWeight(16L << 20)
          .weigher((String token, Cached v) -> token.length() + 64)
          .expireAfterWrite(java.time.Duration.ofMinutes(10))
          .build();

  /** A verified, admitted token: its key, time claims, claims, and what the policy made of it. */
  private record Cached(
      String kid,
      com.nimbusds.jose.jwk.JWK key,
      long exp,
      long nbf,
      long iat,
      Map<String, Object> claims,
      AccessPolicy.Kind kind,
      String consumer) {}

  private static long millis(java.util.Date d) {
    return d == null ? -1 : d.getTime();
  }

  /**
   * Identity, not equals: a key set refreshed from the JWKS holds new objects, and equals on RSA
   * keys is costly.
   */
  private static boolean stillCurrent(
      java.util.List<com.nimbusds.jose.jwk.JWK> keys, com.nimbusds.jose.jwk.JWK key) {
    for (com.nimbusds.jose.jwk.JWK k : keys) if (k == key) return true;
    return false;
  }

  private final TokenSource source;
  private final JwtVerifier verifier;
  private final KeySource keys;
  private final AccessPolicy policy;

  public JwtFilter(TokenSource source, JwtVerifier verifier, KeySource keys, AccessPolicy policy) {
    this.source = source;
    this.verifier = verifier;
    this.keys = keys;
    this.policy = policy;
  }

  /**
   * Builds the filter of a validated config; reads keysFile now (compiles run off the event loop).
   */
  public static JwtFilter of(String name, JwtConfig c, Clock clock) {
    KeySource ks;
    if (c.jwksUrl() != null) {
      ks =
          new JwksKeys(
              c.jwksUrl(),
              c.jwksRefresh(),
              c.jwksMinRefresh(),
              c.jwksMaxStale(),
              c.jwksTimeout(),
              clock);
    } else {
      String text = c.keys();
      if (text == null) {
        try {
          text = Files.readString(Path.of(c.keysFile()));
        } catch (IOException e) {
          throw new IllegalArgumentException(
              "middleware '"
                  + name
                  + "': cannot read keysFile "
                  + c.keysFile()
                  + ": "
                  + e.getMessage(),
              e);
        }
      }
      ks = KeySource.fixed(KeySource.parse(text, true));
    }
    return new JwtFilter(
        TokenSource.parse(c.token()),
        new JwtVerifier(
            c.algorithms(), c.issuer(), c.audience(), c.clockSkew(), c.requiredClaims(), clock),
        ks,
        new AccessPolicy(
            c.allow(),
            c.clientRule(),
            c.requireScopes(),
            c.userScopes(),
            c.clientScopes(),
            c.requireClaims(),
            c.forwardClaims()));
  }

  @Override
  public Future<Void> handle(Exchange ex, Chain next) {
    SignedJWT jwt;
    String token;
    try {
      TokenSource.Token t = source.read(ex.request());
      // after reading: for HTTP/1.1 the upstream headers may be the request's own
      policy.stripForwarded(ex.upstreamHeaders());
      if (t == null) throw new Rejection(401, null, "a bearer token is required");
      token = t.value();
      Cached hit = verified.getIfPresent(token);
      if (hit != null) {
        Future<java.util.List<com.nimbusds.jose.jwk.JWK>> f = keys.keys(hit.kid());
        if (f.isComplete() && f.succeeded() && stillCurrent(f.result(), hit.key())) {
          verifier.recheckTimes(hit.exp(), hit.nbf(), hit.iat());
          ex.claims(hit.claims());
          ex.consumer(hit.consumer());
          policy.forward(ex.upstreamHeaders(), hit.claims());
          return next.next(ex);
        }
        verified.invalidate(token);
      }
      jwt = verifier.parse(token);
    } catch (Rejection r) {
      AccessPolicy.reject(ex, r);
      return Future.succeededFuture();
    }
    Future<java.util.List<com.nimbusds.jose.jwk.JWK>> f = keys.keys(jwt.getHeader().getKeyID());
    if (f.isComplete()) return decide(ex, next, jwt, token, f);
    return OnContext.back(f, Vertx.currentContext())
        .transform(
            ar -> ex.answered() ? Future.succeededFuture() : decide(ex, next, jwt, token, ar));
  }

  private Future<Void> decide(
      Exchange ex,
      Chain next,
      SignedJWT jwt,
      String token,
      io.vertx.core.AsyncResult<java.util.List<com.nimbusds.jose.jwk.JWK>> ar) {
    try {
      if (ar.failed()) {
        throw ar.cause() instanceof Rejection r
            ? r
            : new Rejection(503, null, "the signing keys are unavailable");
      }
      JwtVerifier.Verified v = verifier.verifySigned(jwt, JwtVerifier.candidates(jwt, ar.result()));
      Map<String, Object> claims = v.claims();
      AccessPolicy.Kind kind = policy.check(claims);
      ex.claims(claims);
      ex.consumer(AccessPolicy.consumerOf(claims, kind));
      policy.forward(ex.upstreamHeaders(), claims);
      // only an admitted token is kept; the claims map is handed out read-only from then on
      var c = v.claimsSet();
      verified.put(
          token,
          new Cached(
              jwt.getHeader().getKeyID(),
              v.key(),
              millis(c.getExpirationTime()),
              millis(c.getNotBeforeTime()),
              millis(c.getIssueTime()),
              java.util.Collections.unmodifiableMap(claims),
              kind,
              ex.consumer()));
    } catch (Rejection r) {
      AccessPolicy.reject(ex, r);
      return Future.succeededFuture();
    }
    return next.next(ex);
  }
}
