package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Seen;
import bulwark.it.TestSupport.Upstream;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The jwt middleware through the running gateway: a real loopback JWKS server, a real upstream,
 * keys generated with Nimbus, and an attack corpus that must all end in 401 without reaching the
 * upstream or any URL a token names.
 */
class JwtIT {
  static final String ISS = "https://id.test/";
  static RSAKey k1;
  static RSAKey k2;
  static ECKey e1;
  static RSAKey attacker;
  static final AtomicReference<String> published = new AtomicReference<>();
  static Upstream jwks;
  static Upstream evil;
  static Upstream up;
  static RunningGateway gw;

  @BeforeAll
  static void start() throws Exception {
    k1 = new RSAKeyGenerator(2048).keyID("k1").generate();
    k2 = new RSAKeyGenerator(2048).keyID("k2").generate();
    e1 = new ECKeyGenerator(Curve.P_256).keyID("e1").generate();
    attacker = new RSAKeyGenerator(2048).keyID("evil").generate();
    published.set(new JWKSet(List.of(k1.toPublicJWK(), e1.toPublicJWK())).toString());
    jwks =
        new Upstream(
            "jwks",
            req ->
                req.response().putHeader("Content-Type", "application/json").end(published.get()));
    evil =
        new Upstream(
            "evil",
            req ->
                req.response()
                    .putHeader("Content-Type", "application/json")
                    .end(new JWKSet(attacker.toPublicJWK()).toString()));
    up = new Upstream("a");
    String common =
        "jwksUrl: %s/jwks.json, issuer: \"%s\", audience: orders, algorithms: [RS256, ES256], clockSkew: 30s, jwksMinRefresh: 1s"
            .formatted(jwks.url(), ISS);
    String pinned = k1.toPublicJWK().toJSONString();
    gw =
        RunningGateway.start(
            TestSupport.head()
                    .replace("shutdown:", "limits: { maxHeaderBytes: 64KiB }\n  shutdown:")
                + """
        upstreams:
          a: { targets: [ { url: %s } ] }
        middlewares:
          auth: { jwt: { %s, forwardClaims: { sub: X-User-Id, tenant: X-Tenant } } }
          scoped: { jwt: { %s, requireScopes: [orders.read] } }
          machines: { jwt: { %s, allow: [client], clientScopes: [svc] } }
          cookie: { jwt: { %s, token: "cookie:at" } }
          pinned: { jwt: { keys: '%s', algorithms: [RS256, HS256] } }
          strict: { jwt: { keys: '%s', algorithms: [RS256], clockSkew: 1ms } }
        routes:
          - { name: r, match: { path: /r/** }, upstream: a, middlewares: [auth] }
          - { name: s, match: { path: /s/** }, upstream: a, middlewares: [scoped] }
          - { name: m, match: { path: /m/** }, upstream: a, middlewares: [machines] }
          - { name: c, match: { path: /c/** }, upstream: a, middlewares: [cookie] }
          - { name: p, match: { path: /p/** }, upstream: a, middlewares: [pinned] }
          - { name: x, match: { path: /x/** }, upstream: a, middlewares: [strict] }
        """
                    .formatted(up.url(), common, common, common, common, pinned, pinned));
  }

  @AfterAll
  static void stop() {
    if (gw != null) gw.close();
    for (Upstream u : new Upstream[] {jwks, evil, up}) if (u != null) u.close();
  }

  static JWTClaimsSet.Builder claims() {
    long now = System.currentTimeMillis();
    return new JWTClaimsSet.Builder()
        .issuer(ISS)
        .audience("orders")
        .subject("alice")
        .issueTime(new Date(now - 1000))
        .expirationTime(new Date(now + 300_000));
  }

  static String rs(RSAKey key, JWTClaimsSet c) throws Exception {
    return rs(key, new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), c);
  }

  static String rs(RSAKey key, JWSHeader h, JWTClaimsSet c) throws Exception {
    SignedJWT jwt = new SignedJWT(h, c);
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  static String b64(String json) {
    return Base64URL.encode(json.getBytes(StandardCharsets.UTF_8)).toString();
  }

  static HttpResponse<String> call(String path, String token) throws Exception {
    return token == null
        ? TestSupport.get(gw.url(path))
        : TestSupport.get(gw.url(path), "Authorization", "Bearer " + token);
  }

  @Test
  void aVerifiedTokenIsCachedButStillExpires() throws Exception {
    long now = System.currentTimeMillis();
    // exp is in whole seconds: 5 s leave the three calls time enough on a busy machine
    long exp = (now / 1000 + 5) * 1000;
    String t =
        rs(k1, claims().issueTime(new Date(now - 1000)).expirationTime(new Date(exp)).build());
    for (int i = 0; i < 3; i++) assertThat(call("/x/" + i, t).statusCode()).isEqualTo(200);
    // past exp (clockSkew 1ms on this route), on the wall clock the gateway reads too
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(60))
        .pollInterval(java.time.Duration.ofMillis(100))
        .until(() -> System.currentTimeMillis() > exp + 200);
    HttpResponse<String> late = call("/x/late", t);
    assertThat(late.statusCode())
        .as("the cache skips the signature check, never the exp check")
        .isEqualTo(401);
    assertThat(late.headers().firstValue("WWW-Authenticate").orElse("")).contains("invalid_token");
  }

  @Test
  void aGoodTokenPassesWithItsClaimsForwardedAndSpoofedHeadersRemoved() throws Exception {
    up.seen.clear();
    HttpResponse<String> r =
        TestSupport.get(
            gw.url("/r/1"),
            "Authorization",
            "Bearer " + rs(k1, claims().build()),
            "X-User-Id",
            "mallory",
            "X-Tenant",
            "other");
    assertThat(r.statusCode()).isEqualTo(200);
    Seen s = up.seen.poll();
    assertThat(s.headers().getAll("X-User-Id")).containsExactly("alice");
    // tenant is absent from the token: the client's value is removed, not passed on
    assertThat(s.headers().contains("X-Tenant")).isFalse();

    SignedJWT es =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("e1").build(),
            claims().subject("bob").build());
    es.sign(new ECDSASigner(e1));
    assertThat(call("/r/2", es.serialize()).statusCode()).isEqualTo(200);
    assertThat(up.seen.poll().headers().get("X-User-Id")).isEqualTo("bob");
  }

  @Test
  void noTokenIs401WithABareChallengeAndATokenCanComeFromACookie() throws Exception {
    HttpResponse<String> r = call("/r/1", null);
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"bulwark\"");
    assertThat(r.headers().firstValue("Content-Type").orElse(""))
        .startsWith("application/problem+json");
    HttpResponse<String> c =
        TestSupport.get(gw.url("/c/1"), "Cookie", "at=" + rs(k1, claims().build()));
    assertThat(c.statusCode()).as(c.body()).isEqualTo(200);
    assertThat(call("/c/1", rs(k1, claims().build())).statusCode())
        .as("the cookie route ignores the header")
        .isEqualTo(401);
  }

  @Test
  void scopesAndCallerKindsAreEnforcedWith403InsufficientScope() throws Exception {
    HttpResponse<String> r = call("/s/1", rs(k1, claims().claim("scope", "orders.write").build()));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
    assertThat(r.headers().firstValue("WWW-Authenticate").orElse(""))
        .contains("error=\"insufficient_scope\"")
        .contains("scope=\"orders.read\"");
    assertThat(
            call("/s/1", rs(k1, claims().claim("scope", "orders.write orders.read").build()))
                .statusCode())
        .isEqualTo(200);
    assertThat(
            call("/s/1", rs(k1, claims().claim("scp", List.of("orders.read")).build()))
                .statusCode())
        .isEqualTo(200);

    // machines: only client tokens (no sub, or sub == client_id), and those need scope svc
    assertThat(call("/m/1", rs(k1, claims().claim("scope", "svc").build())).statusCode())
        .as("a user token")
        .isEqualTo(403);
    assertThat(
            call("/m/1", rs(k1, claims().subject("svc-1").claim("client_id", "svc-1").build()))
                .statusCode())
        .as("no scope")
        .isEqualTo(403);
    assertThat(
            call(
                    "/m/1",
                    rs(
                        k1,
                        claims()
                            .subject("svc-1")
                            .claim("client_id", "svc-1")
                            .claim("scope", "svc")
                            .build()))
                .statusCode())
        .isEqualTo(200);
    assertThat(
            call(
                    "/m/1",
                    rs(
                        k1,
                        claims()
                            .subject(null)
                            .claim("client_id", "svc-2")
                            .claim("scope", "svc")
                            .build()))
                .statusCode())
        .isEqualTo(200);
  }

  @Test
  void theAttackCorpusIsRefusedWith401AndFollowsNoUrl() throws Exception {
    long now = System.currentTimeMillis();
    String payload = claims().build().toString();
    Map<String, String> corpus = new LinkedHashMap<>();
    corpus.put("alg none", b64("{\"alg\":\"none\"}") + "." + b64(payload) + ".");
    corpus.put(
        "alg None", b64("{\"alg\":\"None\",\"kid\":\"k1\"}") + "." + b64(payload) + "." + b64("x"));
    corpus.put("alg nOnE unsigned", b64("{\"alg\":\"nOnE\"}") + "." + b64(payload) + ".");
    SignedJWT hs =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("k1").build(), claims().build());
    hs.sign(new MACSigner(k1.toRSAPublicKey().getEncoded()));
    corpus.put("HS256 signed with the RSA public key", hs.serialize());
    SignedJWT hsJwk =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("k1").build(), claims().build());
    hsJwk.sign(new MACSigner(k1.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8)));
    corpus.put("HS256 signed with the RSA public JWK", hsJwk.serialize());
    corpus.put(
        "kid path traversal",
        rs(
            attacker,
            new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("../../etc/passwd").build(),
            claims().build()));
    corpus.put(
        "kid injection",
        rs(
            attacker,
            new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("' OR 1=1 --").build(),
            claims().build()));
    corpus.put(
        "kid of a good key, signed by another",
        rs(
            attacker,
            new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1").build(),
            claims().build()));
    corpus.put(
        "jku",
        rs(
            attacker,
            new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID("evil")
                .jwkURL(URI.create(evil.url() + "/jwks"))
                .build(),
            claims().build()));
    corpus.put(
        "x5u",
        rs(
            attacker,
            new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID("evil")
                .x509CertURL(URI.create(evil.url() + "/cert"))
                .build(),
            claims().build()));
    corpus.put(
        "embedded jwk",
        rs(
            attacker,
            new JWSHeader.Builder(JWSAlgorithm.RS256).jwk(attacker.toPublicJWK()).build(),
            claims().build()));
    corpus.put(
        "embedded jwk with a known kid",
        rs(
            attacker,
            new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID("k1")
                .jwk(attacker.toPublicJWK())
                .build(),
            claims().build()));
    corpus.put("expired", rs(k1, claims().expirationTime(new Date(now - 60_000)).build()));
    corpus.put("no exp", rs(k1, claims().expirationTime(null).build()));
    corpus.put(
        "nbf in the future", rs(k1, claims().notBeforeTime(new Date(now + 120_000)).build()));
    corpus.put("iat in the future", rs(k1, claims().issueTime(new Date(now + 120_000)).build()));
    corpus.put("wrong iss", rs(k1, claims().issuer("https://evil.test/").build()));
    corpus.put("wrong aud", rs(k1, claims().audience("billing").build()));
    corpus.put(
        "ES256 r = s = 0 (CVE-2022-21449)",
        b64("{\"alg\":\"ES256\",\"kid\":\"e1\"}")
            + "."
            + b64(payload)
            + "."
            + Base64URL.encode(new byte[64]));
    corpus.put(
        "ES256 DER zero signature",
        b64("{\"alg\":\"ES256\",\"kid\":\"e1\"}")
            + "."
            + b64(payload)
            + "."
            + Base64URL.encode(new byte[] {0x30, 6, 2, 1, 0, 2, 1, 0}));
    corpus.put(
        "RS256 with an EC kid",
        rs(k1, new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("e1").build(), claims().build()));
    corpus.put(
        "unknown kid",
        rs(
            attacker,
            new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("nope").build(),
            claims().build()));
    corpus.put("oversized", rs(k1, claims().claim("pad", "x".repeat(9000)).build()));
    corpus.put("two parts", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0");
    corpus.put("four parts", rs(k1, claims().build()) + ".x");
    corpus.put("garbage", "abc");
    corpus.put("dots", "..");
    corpus.put("header not json", b64("not json") + "." + b64(payload) + "." + b64("sig"));
    corpus.put(
        "payload not json",
        rs(k1, claims().build()).replaceFirst("\\.[^.]+\\.", "." + b64("[1,2]") + "."));
    corpus.put(
        "crit header",
        rs(
            k1,
            new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID("k1")
                .criticalParams(java.util.Set.of("exp-ext"))
                .customParam("exp-ext", 1)
                .build(),
            claims().build()));
    corpus.put("bad characters", "eyJ\"hbGc.e30.x");

    up.seen.clear();
    int jwksBefore = jwks.seen.size();
    List<String> wrong = new ArrayList<>();
    for (Map.Entry<String, String> e : corpus.entrySet()) {
      HttpResponse<String> r = call("/r/attack", e.getValue());
      String challenge = r.headers().firstValue("WWW-Authenticate").orElse("");
      boolean ok =
          r.statusCode() == 401
              && challenge.contains("error=\"invalid_token\"")
              && r.headers()
                  .firstValue("Content-Type")
                  .orElse("")
                  .startsWith("application/problem+json");
      if (!ok) wrong.add(e.getKey() + " -> " + r.statusCode() + " " + challenge + " " + r.body());
    }
    assertThat(wrong).as("cases not refused with 401 invalid_token").isEmpty();
    assertThat(up.seen).as("no attack reached the upstream").isEmpty();
    assertThat(evil.seen).as("no URL named in a token header was fetched").isEmpty();
    // unknown kids may refresh the key set, but rate-limited (jwksMinRefresh 1s): a few fetches at
    // most
    assertThat(jwks.seen.size() - jwksBefore).isLessThanOrEqualTo(5);

    // the key type is pinned to the algorithm even where HS256 is allowed
    HttpResponse<String> p = call("/p/1", hs.serialize());
    assertThat(p.statusCode()).isEqualTo(401);
    assertThat(call("/p/1", rs(k1, claims().build())).statusCode()).isEqualTo(200);
  }

  @Test
  void aKeyRotationUnderSteadyRequestsCausesNoFalse401() throws Exception {
    AtomicReference<RSAKey> signer = new AtomicReference<>(k1);
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger ok = new AtomicInteger();
    List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread th =
          new Thread(
              () -> {
                while (running.get()) {
                  try {
                    RSAKey k = signer.get();
                    HttpResponse<String> r = call("/r/rot", rs(k, claims().build()));
                    if (r.statusCode() == 200) ok.incrementAndGet();
                    else failures.add(k.getKeyID() + ": " + r.statusCode() + " " + r.body());
                  } catch (Exception e) {
                    failures.add(e.toString());
                  }
                }
              });
      th.start();
      threads.add(th);
    }
    Thread.sleep(500);
    published.set(
        new JWKSet(List.of(k1.toPublicJWK(), k2.toPublicJWK(), e1.toPublicJWK()))
            .toString()); // new kid published
    Thread.sleep(300);
    signer.set(k2); // the issuer switches: the first k2 token refreshes the keys at once
    Thread.sleep(700);
    published.set(
        new JWKSet(List.of(k2.toPublicJWK(), e1.toPublicJWK())).toString()); // old kid retired
    Thread.sleep(1500);
    // enough requests went through (a slow machine gets there later, not with fewer)
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(60))
        .until(() -> ok.get() > 50);
    running.set(false);
    for (Thread th : threads) th.join(60_000);
    published.set(
        new JWKSet(List.of(k1.toPublicJWK(), k2.toPublicJWK(), e1.toPublicJWK())).toString());
    assertThat(failures).isEmpty();
    assertThat(ok.get()).isGreaterThan(50);
  }
}
