package bulwark.filter.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import bulwark.testing.MutableClock;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Time checks against an injected clock, key type pinning, and key parsing. */
class JwtVerifierTest {
  static RSAKey rsa;
  static OctetSequenceKey hmac;
  final MutableClock clock = new MutableClock();

  @BeforeAll
  static void keys() throws Exception {
    rsa = new RSAKeyGenerator(2048).keyID("r").generate();
    hmac = new OctetSequenceKeyGenerator(256).keyID("h").generate();
  }

  JwtVerifier verifier() {
    return new JwtVerifier(
        List.of("RS256", "HS256"), "iss", "aud", Duration.ofSeconds(30), List.of("tenant"), clock);
  }

  String token(JWTClaimsSet c) throws Exception {
    SignedJWT j = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("r").build(), c);
    j.sign(new RSASSASigner(rsa));
    return j.serialize();
  }

  JWTClaimsSet.Builder claims() {
    long now = clock.millis();
    return new JWTClaimsSet.Builder()
        .issuer("iss")
        .audience(List.of("other", "aud"))
        .subject("s")
        .claim("tenant", "t")
        .expirationTime(new Date(now + 60_000));
  }

  Map<String, Object> check(String token) throws Rejection {
    JwtVerifier v = verifier();
    SignedJWT j = v.parse(token);
    return v.verify(j, JwtVerifier.candidates(j, List.of(rsa.toPublicJWK(), hmac)));
  }

  @Test
  void expIsHonouredWithTheClockSkewOnBothSides() throws Exception {
    String t = token(claims().build());
    assertThat(check(t)).containsEntry("sub", "s");
    clock.advance(Duration.ofSeconds(60 + 30)); // exactly exp + skew: still accepted
    assertThat(check(t)).containsEntry("sub", "s");
    clock.advance(Duration.ofSeconds(1));
    assertThatThrownBy(() -> check(t))
        .isInstanceOf(Rejection.class)
        .hasMessage("the token has expired");
  }

  @Test
  void nbfAndIatInTheFutureBeyondTheSkewAreRefused() throws Exception {
    long now = clock.millis();
    assertThat(check(token(claims().notBeforeTime(new Date(now + 29_000)).build()))).isNotNull();
    assertThatThrownBy(() -> check(token(claims().notBeforeTime(new Date(now + 31_000)).build())))
        .hasMessage("the token is not valid yet");
    assertThatThrownBy(() -> check(token(claims().issueTime(new Date(now + 31_000)).build())))
        .hasMessage("the token was issued in the future");
    String later =
        token(
            claims()
                .notBeforeTime(new Date(now + 120_000))
                .expirationTime(new Date(now + 600_000))
                .build());
    assertThatThrownBy(() -> check(later)).isInstanceOf(Rejection.class);
    clock.advance(Duration.ofSeconds(100));
    assertThat(check(later)).isNotNull();
  }

  @Test
  void requiredClaimsIssuerAndAudienceAreChecked() throws Exception {
    assertThatThrownBy(() -> check(token(claims().claim("tenant", null).build())))
        .hasMessage("missing claim tenant");
    assertThatThrownBy(() -> check(token(claims().issuer("x").build()))).hasMessage("wrong issuer");
    assertThatThrownBy(() -> check(token(claims().audience("x").build())))
        .hasMessage("wrong audience");
  }

  @Test
  void anHmacTokenIsCheckedOnlyWithAnOctKeyAndNeverWithAnRsaPublicKey() throws Exception {
    SignedJWT good =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("h").build(), claims().build());
    good.sign(new MACSigner(hmac));
    assertThat(check(good.serialize())).containsEntry("sub", "s");

    SignedJWT confused =
        new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).build(), claims().build());
    confused.sign(new MACSigner(rsa.toRSAPublicKey().getEncoded()));
    SignedJWT parsed = verifier().parse(confused.serialize());
    assertThat(JwtVerifier.candidates(parsed, List.of(rsa.toPublicJWK(), hmac)))
        .containsExactly(hmac);
    assertThatThrownBy(() -> check(confused.serialize())).hasMessage("bad signature");
  }

  @Test
  void noneIsRefusedInTheAllowListItself() {
    assertThatThrownBy(
            () -> new JwtVerifier(List.of("none"), null, null, Duration.ZERO, List.of(), clock))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void keysAreReadFromJwkJwkSetAndPemAndPrivatePartsAreDropped() throws Exception {
    List<JWK> one = KeySource.parse(rsa.toJSONString(), true);
    assertThat(one).singleElement().satisfies(k -> assertThat(k.isPrivate()).isFalse());
    String pem =
        "-----BEGIN PUBLIC KEY-----\n"
            + java.util.Base64.getMimeEncoder(64, "\n".getBytes())
                .encodeToString(rsa.toRSAPublicKey().getEncoded())
            + "\n-----END PUBLIC KEY-----\n";
    assertThat(KeySource.parse(pem + pem, true))
        .hasSize(2)
        .allSatisfy(k -> assertThat(k).isInstanceOf(RSAKey.class));
    String set = new com.nimbusds.jose.jwk.JWKSet(List.of(rsa, hmac)).toString(false);
    assertThat(KeySource.parse(set, false)).extracting(JWK::getKeyID).containsExactly("r");
    assertThat(KeySource.parse(set, true)).extracting(JWK::getKeyID).containsExactly("r", "h");
  }
}
