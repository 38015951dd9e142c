package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import bulwark.it.TestCerts.Pair;
import bulwark.it.TestSupport.RunningGateway;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TLS termination (SNI, versions, ALPN h2, HSTS, certificate hot reload) and TLS toward upstreams
 * (CA bundle, SNI name, client certificates), with certificates made by openssl and real servers.
 */
class TlsIT {
  static Path dir;
  static Pair ca;
  static Pair otherCa;
  static Pair certA;
  static Pair certB;
  static Pair upstreamCert;
  static Pair client;
  static TestSupport.Upstream plain;
  static Vertx upstreamVertx;
  static HttpServer tlsUpstream;
  static RunningGateway gw;
  static SSLContext trustCa;
  static HttpClient h2;
  static HttpClient h1;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("bulwark-tls");
    ca = TestCerts.ca(dir, "test-ca");
    otherCa = TestCerts.ca(dir, "other-ca");
    certA = TestCerts.leaf(dir, ca, "a", "a.test", "first", "DNS:a.test", "IP:127.0.0.1");
    certB = TestCerts.leaf(dir, ca, "b", "b.test", "first", "DNS:b.test");
    upstreamCert =
        TestCerts.leaf(
            dir, ca, "upstream", "upstream.test", "up", "DNS:upstream.test", "IP:127.0.0.1");
    client = TestCerts.leaf(dir, ca, "client", "bulwark-client", "gw");
    trustCa = TestCerts.trusting(ca.cert());
    h2 =
        HttpClient.newBuilder()
            .sslContext(trustCa)
            .version(HttpClient.Version.HTTP_2)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    h1 =
        HttpClient.newBuilder()
            .sslContext(trustCa)
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    plain = new TestSupport.Upstream("plain");
    upstreamVertx = Vertx.vertx();
    tlsUpstream =
        upstreamVertx
            .createHttpServer(
                new HttpServerOptions()
                    .setSsl(true)
                    .setSni(true)
                    .setKeyCertOptions(
                        new PemKeyCertOptions()
                            .setCertPath(upstreamCert.cert().toString())
                            .setKeyPath(upstreamCert.key().toString()))
                    .setTrustOptions(new PemTrustOptions().addCertPath(ca.cert().toString()))
                    .setClientAuth(ClientAuth.REQUIRED))
            .requestHandler(
                req -> {
                  String subject;
                  try {
                    subject =
                        ((X509Certificate) req.connection().peerCertificates().get(0))
                            .getSubjectX500Principal()
                            .getName();
                  } catch (Exception e) {
                    subject = "none";
                  }
                  req.response()
                      .putHeader("Content-Type", "application/json")
                      .end(
                          "{\"client\":\""
                              + subject
                              + "\",\"sni\":\""
                              + req.connection().indicatedServerName()
                              + "\",\"host\":\""
                              + req.authority().host()
                              + "\"}");
                });
    tlsUpstream.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    int up = tlsUpstream.actualPort();

    gw =
        RunningGateway.start(
            head(certA, certB)
                + """
            hsts: { maxAge: 600, includeSubDomains: true }
        upstreams:
          plain:
            targets: [ { url: "%s" } ]
          mtls:
            targets: [ { url: "https://127.0.0.1:%d" } ]
            tls: { ca: [ "%s" ], cert: "%s", key: "%s" }
          named:
            targets: [ { url: "https://127.0.0.1:%d" } ]
            tls: { ca: [ "%s" ], serverName: upstream.test, cert: "%s", key: "%s" }
          nocert:
            targets: [ { url: "https://127.0.0.1:%d" } ]
            tls: { ca: [ "%s" ] }
          wrongca:
            targets: [ { url: "https://127.0.0.1:%d" } ]
            tls: { ca: [ "%s" ], cert: "%s", key: "%s" }
          noverify:
            targets: [ { url: "https://127.0.0.1:%d" } ]
            tls: { verify: false, cert: "%s", key: "%s" }
          jvmtrust:
            targets: [ { url: "https://127.0.0.1:%d" } ]
            tls: { cert: "%s", key: "%s" }
        routes:
          - { name: mtls, match: { path: /mtls/** }, upstream: mtls }
          - { name: named, match: { path: /named/** }, upstream: named }
          - { name: nocert, match: { path: /nocert/** }, upstream: nocert }
          - { name: wrongca, match: { path: /wrongca/** }, upstream: wrongca }
          - { name: noverify, match: { path: /noverify/** }, upstream: noverify }
          - { name: jvmtrust, match: { path: /jvmtrust/** }, upstream: jvmtrust }
          - { name: all, match: { path: /** }, upstream: plain }
        """
                    .formatted(
                        plain.url(),
                        up,
                        ca.cert(),
                        client.cert(),
                        client.key(),
                        up,
                        ca.cert(),
                        client.cert(),
                        client.key(),
                        up,
                        ca.cert(),
                        up,
                        otherCa.cert(),
                        client.cert(),
                        client.key(),
                        up,
                        client.cert(),
                        client.key(),
                        up,
                        client.cert(),
                        client.key()));
  }

  /**
   * A config head whose data listener terminates TLS with the given certificates (tls: left open
   * for more keys).
   */
  static String head(Pair... certs) {
    StringBuilder sb =
        new StringBuilder(
            """
        server:
          listen: "127.0.0.1:${PORT}"
          shutdown: { gracePeriod: 5s }
          tls:
            certificates:
        """);
    for (Pair p : certs)
      sb.append("      - { cert: \"")
          .append(p.cert())
          .append("\", key: \"")
          .append(p.key())
          .append("\" }\n");
    return sb.toString()
        .replace(
            "server:\n",
            "admin:\n  listen: \"127.0.0.1:${ADMIN_PORT}\"\nobservability:\n  accessLog: { enabled: false }\nserver:\n");
  }

  @AfterAll
  static void stop() throws Exception {
    if (gw != null) gw.close();
    if (plain != null) plain.close();
    if (upstreamVertx != null) upstreamVertx.close().await(10, TimeUnit.SECONDS);
  }

  /**
   * The certificate the listener presents for the given SNI name (null: none sent), on a fresh TLS
   * context each time so that no session is resumed.
   */
  static X509Certificate presented(int port, String sni) throws Exception {
    try (SSLSocket s =
        (SSLSocket)
            TestCerts.trusting(ca.cert()).getSocketFactory().createSocket("127.0.0.1", port)) {
      if (sni != null) {
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName(sni)));
        s.setSSLParameters(p);
      }
      s.setSoTimeout(30_000);
      s.startHandshake();
      return (X509Certificate) s.getSession().getPeerCertificates()[0];
    }
  }

  static HttpResponse<String> get(HttpClient c, String path) throws Exception {
    return c.send(
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + gw.port + path))
            .timeout(Duration.ofSeconds(20))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Sends raw bytes over TLS as the connection's first request; returns all the gateway answered.
   */
  static String rawOverTls(String sni, String request) throws Exception {
    try (SSLSocket s =
        (SSLSocket)
            TestCerts.trusting(ca.cert()).getSocketFactory().createSocket("127.0.0.1", gw.port)) {
      if (sni != null) {
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName(sni)));
        s.setSSLParameters(p);
      }
      s.setSoTimeout(30_000);
      s.startHandshake();
      s.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      return new String(
          s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void theFramingGuardAlsoStandsBehindTls() throws Exception {
    // cases Netty's own decoder lets through: only the guard refuses them, so it must sit after TLS
    for (String sni : java.util.Arrays.asList("b.test", null)) {
      String te =
          rawOverTls(
              sni,
              "POST /hello HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding:  chunked\r\n\r\n0\r\n\r\n");
      assertThat(te).as("TE with extra whitespace, SNI %s", sni).startsWith("HTTP/1.1 400");
      String fold =
          rawOverTls(sni, "GET /hello HTTP/1.1\r\nHost: a.test\r\nX-A: 1\r\n  folded\r\n\r\n");
      assertThat(fold).as("obs-fold, SNI %s", sni).startsWith("HTTP/1.1 400");
    }
  }

  @Test
  void sniPicksTheCertificateOfTheNameAndTheFirstIsTheDefault() throws Exception {
    assertThat(presented(gw.port, "a.test").getSubjectX500Principal().getName())
        .contains("CN=a.test");
    assertThat(presented(gw.port, "b.test").getSubjectX500Principal().getName())
        .contains("CN=b.test");
    assertThat(presented(gw.port, null).getSubjectX500Principal().getName()).contains("CN=a.test");
  }

  @Test
  void handshakeDurationsAreMeasuredAndShownAtReadiness() throws Exception {
    long before = tlsHandshakes().getLong("count");
    long failedBefore = tlsHandshakes().getLong("failed");
    presented(gw.port, "b.test");
    presented(gw.port, "a.test");
    TestCerts.run(
        dir,
        "s_client",
        "-connect",
        "127.0.0.1:" + gw.port,
        "-tls1",
        "-cipher",
        "DEFAULT:@SECLEVEL=0");
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                tlsHandshakes().getLong("count") >= before + 2
                    && tlsHandshakes().getLong("failed") >= failedBefore + 1);
    io.vertx.core.json.JsonObject t = tlsHandshakes();
    assertThat(t.getDouble("averageMillis")).isPositive();
    assertThat(t.getDouble("maxMillis")).isGreaterThanOrEqualTo(t.getDouble("averageMillis"));
  }

  private static io.vertx.core.json.JsonObject tlsHandshakes() throws Exception {
    String body = TestSupport.get(gw.adminUrl("/health/ready")).body();
    return new io.vertx.core.json.JsonObject(body)
        .getJsonObject("components")
        .getJsonObject("dataListener")
        .getJsonObject("details")
        .getJsonObject("tlsHandshakes");
  }

  @Test
  void tls10And11AreRefusedAnd12And13Accepted() throws Exception {
    String target = "127.0.0.1:" + gw.port;
    // SECLEVEL=0 lets openssl itself offer the old versions: the refusal is the gateway's
    for (String old : List.of("-tls1", "-tls1_1")) {
      TestCerts.Result r =
          TestCerts.run(dir, "s_client", "-connect", target, old, "-cipher", "DEFAULT:@SECLEVEL=0");
      assertThat(r.exit()).as("openssl s_client %s:%n%s", old, r.output()).isNotZero();
    }
    TestCerts.Result v12 =
        TestCerts.run(dir, "s_client", "-connect", target, "-tls1_2", "-servername", "b.test");
    assertThat(v12.exit()).as(v12.output()).isZero();
    assertThat(v12.output()).contains("TLSv1.2").contains("ECDHE");
    TestCerts.Result v13 = TestCerts.run(dir, "s_client", "-connect", target, "-tls1_3");
    assertThat(v13.exit()).as(v13.output()).isZero();
    assertThat(v13.output()).contains("TLSv1.3");
    // a CBC suite without forward secrecy is not offered
    TestCerts.Result weak =
        TestCerts.run(dir, "s_client", "-connect", target, "-tls1_2", "-cipher", "AES128-SHA");
    assertThat(weak.exit()).as(weak.output()).isNotZero();
  }

  @Test
  void alpnNegotiatesH2AndHstsIsSentOverTls() throws Exception {
    HttpResponse<String> r = get(h2, "/hello");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(r.body()).contains("\"upstream\":\"plain\"");
    assertThat(r.headers().firstValue("strict-transport-security"))
        .hasValue("max-age=600; includeSubDomains");
    // the upstream learns the original scheme
    TestSupport.Seen seen = plain.seen.poll(5, TimeUnit.SECONDS);
    assertThat(seen.headers().get("X-Forwarded-Proto")).isEqualTo("https");

    HttpResponse<String> r1 = get(h1, "/hello");
    assertThat(r1.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    assertThat(r1.headers().firstValue("strict-transport-security"))
        .hasValue("max-age=600; includeSubDomains");
    // problem responses made by the gateway carry it too
    HttpResponse<String> bad = get(h1, "/nocert/x");
    assertThat(bad.headers().firstValue("strict-transport-security")).isPresent();
  }

  @Test
  void anUpstreamThatRequiresAClientCertificateGetsOurs() throws Exception {
    HttpResponse<String> r = get(h1, "/mtls/x");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).contains("CN=bulwark-client");
  }

  @Test
  void serverNameIsSentAsSniAndHostAndVerifiedAgainstTheCertificate() throws Exception {
    HttpResponse<String> r = get(h1, "/named/x");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body())
        .contains("\"sni\":\"upstream.test\"")
        .contains("\"host\":\"upstream.test\"")
        .contains("CN=bulwark-client");
  }

  @Test
  void withoutTheClientCertificateTheUpstreamRefusesAnd502IsAProblem() throws Exception {
    HttpResponse<String> r = get(h1, "/nocert/x");
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
  }

  @Test
  void anUpstreamCertificateFromAnotherCaIsRefusedWith502() throws Exception {
    HttpResponse<String> r = get(h1, "/wrongca/x");
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
    assertThat(r.body()).contains("wrongca");
  }

  @Test
  void withoutCaTheJvmTrustStoreDecidesAndVerifyFalseTrustsAnything() throws Exception {
    // the test CA is not in the JVM's trust store
    HttpResponse<String> jvm = get(h1, "/jvmtrust/x");
    assertThat(jvm.statusCode()).isEqualTo(502);
    assertThat(jvm.headers().firstValue("content-type")).hasValue("application/problem+json");
    HttpResponse<String> any = get(h1, "/noverify/x");
    assertThat(any.statusCode()).as(any.body()).isEqualTo(200);
    assertThat(any.body()).contains("CN=bulwark-client");
  }

  @Test
  void aReplacedCertificateFileIsServedToNewConnectionsWithoutRestart() throws Exception {
    Path cert = dir.resolve("live.pem");
    Path key = dir.resolve("live.key");
    Files.copy(certA.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
    Files.copy(certA.key(), key, StandardCopyOption.REPLACE_EXISTING);
    Pair second = TestCerts.leaf(dir, ca, "a2", "a.test", "second", "DNS:a.test", "IP:127.0.0.1");
    try (RunningGateway g =
        RunningGateway.start(
            head(new Pair(cert, key))
                + """
        upstreams:
          plain:
            targets: [ { url: "%s" } ]
        routes:
          - { name: all, match: { path: /** }, upstream: plain }
        """
                    .formatted(plain.url()))) {
      assertThat(presented(g.port, "a.test").getSubjectX500Principal().getName())
          .contains("O=first");

      // a broken file is not taken: the previous certificate keeps serving
      Files.writeString(cert, "not a certificate");
      Thread.sleep(1500);
      assertThat(presented(g.port, "a.test").getSubjectX500Principal().getName())
          .contains("O=first");

      Files.copy(second.key(), key, StandardCopyOption.REPLACE_EXISTING);
      Files.copy(second.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
      String subject = "";
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline && !subject.contains("O=second")) {
        try {
          subject = presented(g.port, "a.test").getSubjectX500Principal().getName();
        } catch (SSLHandshakeException e) {
          subject = e.toString();
        }
        if (!subject.contains("O=second")) Thread.sleep(100);
      }
      assertThat(subject).contains("O=second");
      assertThat(g.gateway.reloadsOk()).isZero();
    }
  }

  @Test
  void minVersionTls13RefusesTls12AndAConfigReloadChangesCertificatesAndVersions()
      throws Exception {
    String routes =
        """
        upstreams:
          plain:
            targets: [ { url: "%s" } ]
        routes:
          - { name: all, match: { path: /** }, upstream: plain }
        """
            .formatted(plain.url());
    try (RunningGateway g =
        RunningGateway.start(head(certA) + "    minVersion: TLSv1.3\n" + routes)) {
      String target = "127.0.0.1:" + g.port;
      assertThat(TestCerts.run(dir, "s_client", "-connect", target, "-tls1_2").exit()).isNotZero();
      assertThat(TestCerts.run(dir, "s_client", "-connect", target, "-tls1_3").exit()).isZero();
      assertThat(presented(g.port, "b.test").getSubjectX500Principal().getName())
          .contains("CN=a.test");

      // a reload naming a missing key is rejected as a whole, with the field path; TLS keeps
      // serving
      assertThat(
              g.rewrite(head(certA, new Pair(certB.cert(), dir.resolve("missing.key"))) + routes))
          .isFalse();
      assertThat(g.gateway.lastReloadError())
          .contains(
              "server.tls.certificates[1].key: file "
                  + dir.resolve("missing.key")
                  + " does not exist");
      assertThat(presented(g.port, "a.test").getSubjectX500Principal().getName())
          .contains("CN=a.test");

      assertThat(g.rewrite(head(certA, certB) + routes)).isTrue();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      String subject = "";
      while (System.nanoTime() < deadline && !subject.contains("CN=b.test")) {
        subject = presented(g.port, "b.test").getSubjectX500Principal().getName();
        if (!subject.contains("CN=b.test")) Thread.sleep(50);
      }
      assertThat(subject).contains("CN=b.test");
      assertThat(TestCerts.run(dir, "s_client", "-connect", target, "-tls1_2").exit()).isZero();
    }
  }

  @Test
  void activeHealthChecksOfHttpsTargetsUseTheUpstreamTlsSettings() throws Exception {
    int up = tlsUpstream.actualPort();
    try (RunningGateway g =
        RunningGateway.start(
            TestSupport.head()
                + """
        upstreams:
          checked:
            targets: [ { url: "https://127.0.0.1:%d" } ]
            tls: { ca: [ "%s" ], serverName: upstream.test, cert: "%s", key: "%s" }
            healthCheck:
              active: { path: /health, interval: 200ms, timeout: 150ms, healthyThreshold: 1, unhealthyThreshold: 1 }
        routes:
          - { name: all, match: { path: /** }, upstream: checked }
        """
                    .formatted(up, ca.cert(), client.cert(), client.key()))) {
      var health = g.gateway.states().stateFor("127.0.0.1:" + up).health();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline
          && health.status() != bulwark.upstream.target.HealthStatus.UP) Thread.sleep(50);
      // the target requires our client certificate: only a check over TLS with it passes
      assertThat(health.status()).isEqualTo(bulwark.upstream.target.HealthStatus.UP);
    }
  }

  @Test
  void theJdkEngineServesTheSameWay() throws Exception {
    System.setProperty("bulwark.tls.engine", "jdk");
    RunningGateway g;
    try {
      g =
          RunningGateway.start(
              head(certA, certB)
                  + """
          upstreams:
            plain:
              targets: [ { url: "%s" } ]
          routes:
            - { name: all, match: { path: /** }, upstream: plain }
          """
                      .formatted(plain.url()));
    } finally {
      System.clearProperty("bulwark.tls.engine");
    }
    try (g) {
      assertThat(presented(g.port, "b.test").getSubjectX500Principal().getName())
          .contains("CN=b.test");
      assertThat(presented(g.port, "a.test").getSubjectX500Principal().getName())
          .contains("CN=a.test");
      String target = "127.0.0.1:" + g.port;
      assertThat(
              TestCerts.run(
                      dir,
                      "s_client",
                      "-connect",
                      target,
                      "-tls1_1",
                      "-cipher",
                      "DEFAULT:@SECLEVEL=0")
                  .exit())
          .isNotZero();
      assertThat(
              TestCerts.run(dir, "s_client", "-connect", target, "-tls1_2", "-cipher", "AES128-SHA")
                  .exit())
          .isNotZero();
      assertThat(TestCerts.run(dir, "s_client", "-connect", target, "-tls1_2").exit()).isZero();
      HttpResponse<String> r =
          h2.send(
              HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + g.port + "/jdk")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
    }
  }

  @Test
  void aClientThatDoesNotTrustTheCaFailsTheHandshake() {
    HttpClient untrusting = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    assertThatThrownBy(() -> get(untrusting, "/hello")).isInstanceOf(SSLHandshakeException.class);
  }
}
