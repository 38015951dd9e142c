package bulwark.filter.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a compact JWS: the algorithm against an explicit allow-list ({@code none} never), the
 * signature with a key of the algorithm's own type (an HS256 token is never checked with an RSA
 * public key), then {@code exp} (required), {@code nbf}, {@code iat}, {@code iss}, {@code aud} and
 * required claims against an injected clock. The {@code jku}, {@code x5u}, {@code jwk} and {@code
 * x5c} headers are ignored: keys come only from the configured source. Thread-safe.
 *
 * <p>Every failure is a {@link Rejection}; nothing else is thrown for any input.
 */
public final class JwtVerifier {
  private final Set<JWSAlgorithm> algorithms;
  private final String issuer;
  private final String audience;
  private final long skewMillis;
  private final List<String> requiredClaims;
  private final Clock clock;

  public JwtVerifier(
      List<String> algorithms,
      String issuer,
      String audience,
      Duration clockSkew,
      List<String> requiredClaims,
      Clock clock) {
    this.algorithms = Set.copyOf(algorithms.stream().map(JWSAlgorithm::parse).toList());
    if (this.algorithms.stream().anyMatch(a -> a.getName().equalsIgnoreCase("none")))
      throw new IllegalArgumentException("none is never accepted");
    this.issuer = issuer;
    this.audience = audience;
    this.skewMillis = clockSkew == null ? 0 : clockSkew.toMillis();
    this.requiredClaims = List.copyOf(requiredClaims == null ? List.of() : requiredClaims);
    this.clock = clock;
  }

  /** Parses the token and checks its header (structure, algorithm). */
  public SignedJWT parse(String token) throws Rejection {
    if (token == null || token.isEmpty()) throw Rejection.invalid("empty token");
    if (token.length() > TokenSource.MAX_TOKEN_CHARS) throw Rejection.invalid("token too large");
    int dots = 0;
    for (int i = 0; i < token.length(); i++) if (token.charAt(i) == '.') dots++;
    if (dots != 2) throw Rejection.invalid("malformed token");
    SignedJWT jwt;
    try {
      jwt = SignedJWT.parse(token);
    } catch (ParseException | RuntimeException e) {
      // alg none (in any spelling Nimbus knows as none) fails here: a plain JWT is not a JWS
      throw Rejection.invalid("malformed token");
    }
    JWSHeader h = jwt.getHeader();
    JWSAlgorithm alg = h.getAlgorithm();
    if (alg == null || !algorithms.contains(alg)) throw Rejection.invalid("algorithm not accepted");
    if (jwt.getSignature() == null || jwt.getSignature().toString().isEmpty())
      throw Rejection.invalid("unsigned token");
    return jwt;
  }

  /**
   * The keys among {@code keys} that may check this token: its kid (if both have one), the
   * algorithm's key type and curve, use sig.
   */
  public static List<JWK> candidates(SignedJWT jwt, List<JWK> keys) {
    JWSHeader h = jwt.getHeader();
    String kid = h.getKeyID();
    JWSAlgorithm alg = h.getAlgorithm();
    List<JWK> out = new ArrayList<>(2);
    for (JWK k : keys) {
      // a key without a kid may check any token; one with a kid only tokens naming it
      if (kid != null && k.getKeyID() != null && !kid.equals(k.getKeyID())) continue;
      if (k.getAlgorithm() != null && !k.getAlgorithm().equals(alg)) continue;
      if (k.getKeyUse() != null && !KeyUse.SIGNATURE.equals(k.getKeyUse())) continue;
      if (!typeFits(k, alg)) continue;
      out.add(k);
    }
    return out;
  }

  static boolean typeFits(JWK k, JWSAlgorithm alg) {
    if (JWSAlgorithm.Family.RSA.contains(alg)) return k instanceof RSAKey;
    if (JWSAlgorithm.Family.HMAC_SHA.contains(alg)) return k instanceof OctetSequenceKey;
    if (JWSAlgorithm.Family.EC.contains(alg)) {
      return k instanceof ECKey ec
          && Curve.forJWSAlgorithm(alg) != null
          && Curve.forJWSAlgorithm(alg).contains(ec.getCurve());
    }
    return false;
  }

  /**
   * Checks the signature with one of {@code candidates}, then the claims; returns the claims as
   * JSON values.
   */
  public Map<String, Object> verify(SignedJWT jwt, List<JWK> candidates) throws Rejection {
    return verifySigned(jwt, candidates).claims();
  }

  /** A token whose signature was verified: the key that verified it and its claims set. */
  public record Verified(JWK key, JWTClaimsSet claimsSet, Map<String, Object> claims) {}

  /** Like {@link #verify}, keeping the key that verified the signature and the parsed claims. */
  public Verified verifySigned(SignedJWT jwt, List<JWK> candidates) throws Rejection {
    if (candidates.isEmpty()) throw Rejection.invalid("no key for this token");
    JWK by = null;
    for (JWK k : candidates) {
      try {
        if (verifier(k).verify(jwt.getHeader(), jwt.getSigningInput(), jwt.getSignature())) {
          by = k;
          break;
        }
      } catch (JOSEException | RuntimeException e) {
        // a key that cannot verify (e.g. an HMAC secret too short) does not verify
      }
    }
    if (by == null) throw Rejection.invalid("bad signature");
    JWTClaimsSet c;
    try {
      c = jwt.getJWTClaimsSet();
    } catch (ParseException | RuntimeException e) {
      throw Rejection.invalid("malformed claims");
    }
    return new Verified(by, c, checkClaims(c));
  }

  /**
   * The time checks alone (exp, nbf, iat with the skew), for a token whose signature and value
   * claims were checked earlier; times in epoch milliseconds, -1 when absent.
   */
  public void recheckTimes(long expMillis, long nbfMillis, long iatMillis) throws Rejection {
    long now = clock.millis();
    if (now > expMillis + skewMillis) throw Rejection.invalid("the token has expired");
    if (nbfMillis >= 0 && nbfMillis > now + skewMillis)
      throw Rejection.invalid("the token is not valid yet");
    if (iatMillis >= 0 && iatMillis > now + skewMillis)
      throw Rejection.invalid("the token was issued in the future");
  }

  private Map<String, Object> checkClaims(JWTClaimsSet c) throws Rejection {
    Date exp;
    Date nbf;
    Date iat;
    try {
      exp = c.getExpirationTime();
      nbf = c.getNotBeforeTime();
      iat = c.getIssueTime();
    } catch (RuntimeException e) {
      throw Rejection.invalid("malformed time claim");
    }
    if (exp == null) throw Rejection.invalid("the token has no exp");
    recheckTimes(exp.getTime(), nbf == null ? -1 : nbf.getTime(), iat == null ? -1 : iat.getTime());
    if (issuer != null && !issuer.isEmpty() && !issuer.equals(stringClaim(c, "iss")))
      throw Rejection.invalid("wrong issuer");
    if (audience != null && !audience.isEmpty()) {
      List<String> aud;
      try {
        aud = c.getAudience();
      } catch (RuntimeException e) {
        aud = List.of();
      }
      if (aud == null || !aud.contains(audience)) throw Rejection.invalid("wrong audience");
    }
    Map<String, Object> json = c.toJSONObject();
    for (String r : requiredClaims)
      if (json.get(r) == null) throw Rejection.invalid("missing claim " + r);
    return json;
  }

  private static String stringClaim(JWTClaimsSet c, String name) {
    return c.getClaim(name) instanceof String s ? s : null;
  }

  private static JWSVerifier verifier(JWK k) throws JOSEException {
    if (k instanceof RSAKey r) return new RSASSAVerifier(r.toRSAPublicKey());
    if (k instanceof ECKey e) return new ECDSAVerifier(e.toECPublicKey());
    if (k instanceof OctetSequenceKey o) return new MACVerifier(o.toByteArray());
    throw new JOSEException("unsupported key type " + k.getKeyType());
  }
}
