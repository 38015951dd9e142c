package bulwark.filter.auth;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The token extraction and parsing path must refuse any input with a {@link Rejection} and throw
 * nothing else. Under {@code mvn test} these run in regression mode on the seeds in
 * src/test/resources/bulwark/filter/auth/JwtFuzzTestInputs/&lt;method&gt;/; with JAZZER_FUZZ=1 they
 * fuzz.
 */
class JwtFuzzTest {
  static final OctetSequenceKey HMAC;
  static final List<JWK> KEYS;
  static final JwtVerifier VERIFIER =
      new JwtVerifier(
          List.of("RS256", "ES256", "HS256"),
          "iss",
          "aud",
          Duration.ofSeconds(30),
          List.of(),
          Clock.systemUTC());
  static final AccessPolicy POLICY =
      new AccessPolicy(
          List.of("user", "client"),
          "auto",
          List.of("a"),
          List.of(),
          List.of("b"),
          Map.of("tenant", "t"),
          Map.of("sub", "X-User-Id", "roles", "X-Roles"));

  static {
    try {
      HMAC = new OctetSequenceKeyGenerator(256).keyID("h").generate();
      KEYS =
          List.of(
              new RSAKeyGenerator(2048).keyID("r").generate().toPublicJWK(),
              new ECKeyGenerator(Curve.P_256).keyID("e").generate().toPublicJWK(),
              HMAC);
    } catch (Exception e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /**
   * Arbitrary bytes as an Authorization header value, through extraction, parsing and verification.
   */
  @FuzzTest(maxDuration = "30s")
  void authorizationHeader(byte[] input) {
    String value = new String(input, StandardCharsets.UTF_8);
    try {
      TokenSource.Token t = TokenSource.fromAuthorization(List.of(value));
      if (t == null) return;
      SignedJWT jwt = VERIFIER.parse(t.value());
      Map<String, Object> claims = VERIFIER.verify(jwt, JwtVerifier.candidates(jwt, KEYS));
      POLICY.check(claims);
    } catch (Rejection expected) {
      // the only way to refuse
    }
  }

  /**
   * Arbitrary bytes as the payload of a correctly signed token: the claim checks must not throw
   * either.
   */
  @FuzzTest(maxDuration = "30s")
  void signedPayload(byte[] payload) throws Exception {
    JWSObject jws =
        new JWSObject(
            new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("h").build(), new Payload(payload));
    jws.sign(new MACSigner(HMAC));
    String token = jws.serialize();
    try {
      SignedJWT jwt = VERIFIER.parse(token);
      Map<String, Object> claims = VERIFIER.verify(jwt, JwtVerifier.candidates(jwt, KEYS));
      POLICY.check(claims);
      AccessPolicy.consumerOf(claims, POLICY.kindOf(claims));
      for (Object v : claims.values()) AccessPolicy.headerValue(v);
    } catch (Rejection expected) {
      // the only way to refuse
    }
  }
}
