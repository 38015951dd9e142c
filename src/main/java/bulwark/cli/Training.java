package bulwark.cli;

import bulwark.config.ConfigLoader;
import bulwark.server.Gateway;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.interfaces.RSAPrivateKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The work of {@link TrainCommand}, in a class of its own: picocli loads every subcommand's class
 * to build the command line, and the JWT signing and TLS set-up below would otherwise load Nimbus
 * and JCA classes in every `bulwark run`.
 */
final class Training {
  private static final int CONCURRENCY = 8;

  private final int requests;
  private final boolean tls;
  private final boolean verbose;

  Training(int requests, boolean tls, boolean verbose) {
    this.requests = requests;
    this.tls = tls;
    this.verbose = verbose;
  }

  Integer run() throws Exception {
    Path dir = Files.createTempDirectory("bulwark-train-");
    Vertx vertx = Vertx.vertx();
    HttpServer upstream = null;
    int failures = 0;
    try {
      upstream = startUpstream(vertx);
      KeyPair rsa = KeyPairGenerator.getInstance("RSA").generateKeyPair();
      String token = jwt((RSAPrivateKey) rsa.getPrivate());
      String pubPem =
          "-----BEGIN PUBLIC KEY-----\n"
              + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                  .encodeToString(rsa.getPublic().getEncoded())
              + "\n-----END PUBLIC KEY-----\n";
      Files.writeString(dir.resolve("jwt.pub"), pubPem);
      String apiKey = "train-key-0123456789";
      String apiKeyHash =
          HexFormat.of()
              .formatHex(
                  MessageDigest.getInstance("SHA-256")
                      .digest(apiKey.getBytes(StandardCharsets.UTF_8)));
      failures +=
          round(vertx, dir, "plain", null, upstream.actualPort(), token, apiKey, apiKeyHash);
      if (tls) {
        Path[] cert = selfSigned(dir);
        if (cert == null) {
          System.err.println("train: no openssl, TLS not trained");
        } else {
          failures +=
              round(vertx, dir, "tls", cert, upstream.actualPort(), token, apiKey, apiKeyHash);
        }
      }
    } finally {
      if (upstream != null) upstream.close().await(5, TimeUnit.SECONDS);
      vertx.close().await(10, TimeUnit.SECONDS);
      deleteTree(dir);
    }
    if (failures > 0) {
      System.err.println("train: " + failures + " request(s) did not get the expected status");
      return 1;
    }
    System.err.println("train: done");
    return 0;
  }

  /** One gateway (plain, or TLS with {@code cert}) driven through every kind of request. */
  private int round(
      Vertx vertx,
      Path dir,
      String name,
      Path[] cert,
      int upPort,
      String token,
      String apiKey,
      String apiKeyHash)
      throws Exception {
    int port = freePort();
    int admin = freePort();
    Path cfg = dir.resolve(name + ".yaml");
    Files.writeString(
        cfg, config(port, admin, upPort, dir.resolve(name + "-access.log"), cert, apiKeyHash, dir));
    Gateway g = Gateway.start(cfg, ConfigLoader.fromSystemEnv(), false);
    List<HttpClientAgent> clients = new ArrayList<>();
    Map<String, Integer> failed = new TreeMap<>();
    try {
      boolean secure = cert != null;
      HttpClientOptions base =
          new HttpClientOptions().setSsl(secure).setTrustAll(true).setVerifyHost(false);
      HttpClientAgent h1 = vertx.createHttpClient(new HttpClientOptions(base));
      HttpClientAgent h2 =
          vertx.createHttpClient(
              new HttpClientOptions(base)
                  .setProtocolVersion(HttpVersion.HTTP_2)
                  .setUseAlpn(secure)
                  .setHttp2ClearTextUpgrade(false));
      HttpClientAgent adminClient = vertx.createHttpClient(new HttpClientOptions());
      clients.addAll(List.of(h1, h2, adminClient));
      List<Kind> kinds =
          List.of(
              new Kind("GET", h1, port, "/api/items/42", Map.of(), null, 200),
              new Kind("GET h2", h2, port, "/api/items/7?x=1", Map.of(), null, 200),
              new Kind("POST", h1, port, "/api/orders", Map.of(), "{\"n\":1}".repeat(64), 200),
              new Kind("POST h2", h2, port, "/api/orders", Map.of(), "x".repeat(4096), 200),
              new Kind(
                  "JWT",
                  h1,
                  port,
                  "/secure/me",
                  Map.of("Authorization", "Bearer " + token),
                  null,
                  200),
              new Kind(
                  "JWT h2",
                  h2,
                  port,
                  "/secure/me",
                  Map.of("Authorization", "Bearer " + token),
                  null,
                  200),
              new Kind("JWT missing", h1, port, "/secure/me", Map.of(), null, 401),
              new Kind(
                  "API key",
                  h1,
                  port,
                  "/keyed/list",
                  Map.of("X-API-Key", apiKey, "Accept-Encoding", "gzip"),
                  null,
                  200),
              new Kind(
                  "API key bad", h1, port, "/keyed/list", Map.of("X-API-Key", "no"), null, 401),
              new Kind("h2c upstream", h1, port, "/grpcish/x", Map.of(), null, 200),
              new Kind("no route", h1, port, "/nowhere", Map.of(), null, 404),
              new Kind("ready", adminClient, admin, "/health/ready", Map.of(), null, 200),
              new Kind("metrics", adminClient, admin, "/metrics", Map.of(), null, 200));
      for (Kind k : kinds) {
        // readiness waits for the start-up warm-up, which has run alongside the kinds before
        if (k.name().equals("ready")) awaitWarmup(g);
        long t0 = System.nanoTime();
        int bad = drive(k);
        if (verbose)
          System.err.printf(
              "train: %s %s: %d ms%n", name, k.name(), (System.nanoTime() - t0) / 1_000_000);
        if (bad > 0) failed.put(name + " " + k.name(), bad);
      }
    } finally {
      for (HttpClientAgent c : clients) c.close().await(5, TimeUnit.SECONDS);
      g.shutdown();
    }
    failed.forEach((k, n) -> System.err.println("train: " + k + ": " + n + " unexpected status"));
    return failed.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** Waits (at most a minute past server.warmup's bound) until the gateway's warm-up is over. */
  private static void awaitWarmup(Gateway g) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (g.warmup().running() && System.nanoTime() - until < 0) Thread.sleep(50);
  }

  /** A kind of request and the status it must get. */
  private record Kind(
      String name,
      HttpClientAgent client,
      int port,
      String path,
      Map<String, String> headers,
      String body,
      int status) {}

  /** Sends {@link #requests} requests of one kind, {@link #CONCURRENCY} at a time. */
  private int drive(Kind k) throws Exception {
    AtomicInteger bad = new AtomicInteger();
    for (int sent = 0; sent < requests; sent += CONCURRENCY) {
      List<Future<Void>> batch = new ArrayList<>();
      for (int i = 0; i < Math.min(CONCURRENCY, requests - sent); i++) {
        RequestOptions o =
            new RequestOptions()
                .setHost("127.0.0.1")
                .setPort(k.port())
                .setURI(k.path())
                .setMethod(k.body() == null ? HttpMethod.GET : HttpMethod.POST);
        k.headers().forEach(o::putHeader);
        batch.add(
            k.client()
                .request(o)
                .compose(
                    r ->
                        (k.body() == null ? r.send() : r.send(Buffer.buffer(k.body())))
                            .compose(
                                (HttpClientResponse resp) ->
                                    resp.body()
                                        .map(
                                            b -> {
                                              if (resp.statusCode() != k.status())
                                                bad.incrementAndGet();
                                              return (Void) null;
                                            })))
                .otherwise(
                    e -> {
                      bad.incrementAndGet();
                      return null;
                    }));
      }
      Future.join(batch).await(30, TimeUnit.SECONDS);
    }
    return bad.get();
  }

  /** The training config: every main path, limits far above what the run sends. */
  private static String config(
      int port, int admin, int upPort, Path accessLog, Path[] cert, String apiKeyHash, Path dir) {
    String tlsBlock =
        cert == null
            ? ""
            : "  tls:\n    certificates: [ { cert: \"%s\", key: \"%s\" } ]\n"
                .formatted(cert[0], cert[1]);
    return """
        server:
          listen: "127.0.0.1:%d"
          trustedProxies: ["127.0.0.1/32"]
          shutdown: { gracePeriod: 1s, drainWindow: 0s }
          warmup: 3s
        %sadmin:
          listen: "127.0.0.1:%d"
        observability:
          accessLog: { enabled: true, output: "%s" }
          metrics: { enabled: true }
        upstreams:
          api:
            targets: [ { url: "http://127.0.0.1:%d" } ]
          h2up:
            targets: [ { url: "http://127.0.0.1:%d" } ]
            protocol: h2c
        middlewares:
          auth:
            jwt:
              keysFile: "%s"
              algorithms: [RS256]
              issuer: https://train.bulwark/
              audience: train
              forwardClaims: { sub: X-User-Id }
          keys:
            apiKey:
              consumers: { trainer: ["%s"] }
          limit:
            rateLimit: { rate: 1000000/s, key: consumer }
          tag:
            headers:
              request: { set: { X-Train: "1" }, remove: [X-Drop] }
              response: { set: { X-Served-By: bulwark } }
          gzip:
            compression: { algorithms: [gzip], minSize: 0 }
        routes:
          - name: api
            match: { path: "/api/**" }
            upstream: api
            middlewares: [tag]
            timeout: 10s
          - name: secure
            match: { path: "/secure/**", methods: [GET] }
            upstream: api
            middlewares: [auth]
          - name: keyed
            match: { path: "/keyed/**" }
            upstream: api
            middlewares: [keys, limit, gzip]
          - name: grpcish
            match: { path: "/grpcish/**" }
            upstream: h2up
        """
        .formatted(
            port, tlsBlock, admin, accessLog, upPort, upPort, dir.resolve("jwt.pub"), apiKeyHash);
  }

  /** The upstream: HTTP/1.1 and h2c, answers a small JSON body after reading the request's. */
  private static HttpServer startUpstream(Vertx vertx) throws Exception {
    return vertx
        .createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
        .requestHandler(
            req ->
                req.body()
                    .onSuccess(
                        b ->
                            req.response()
                                .putHeader("Content-Type", "application/json")
                                .end(
                                    "{\"ok\":true,\"path\":\""
                                        + req.path()
                                        + "\",\"bytes\":"
                                        + b.length()
                                        + ",\"pad\":\""
                                        + "x".repeat(512)
                                        + "\"}")))
        .listen()
        .await(10, TimeUnit.SECONDS);
  }

  private static String jwt(RSAPrivateKey key) throws Exception {
    Instant now = Instant.now();
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.RS256).build(),
            new JWTClaimsSet.Builder()
                .issuer("https://train.bulwark/")
                .audience("train")
                .subject("trainer")
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(3600)))
                .build());
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  /** A self-signed EC certificate for 127.0.0.1 made by openssl, or null without openssl. */
  private static Path[] selfSigned(Path dir) throws InterruptedException {
    Path cert = dir.resolve("train.pem");
    Path key = dir.resolve("train.key");
    try {
      Process p =
          new ProcessBuilder(
                  "openssl",
                  "req",
                  "-x509",
                  "-newkey",
                  "ec",
                  "-pkeyopt",
                  "ec_paramgen_curve:P-256",
                  "-nodes",
                  "-days",
                  "1",
                  "-subj",
                  "/CN=localhost",
                  "-addext",
                  "subjectAltName=DNS:localhost,IP:127.0.0.1",
                  "-keyout",
                  key.toString(),
                  "-out",
                  cert.toString())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("openssl.out").toFile())
              .start();
      return p.waitFor() == 0 ? new Path[] {cert, key} : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void deleteTree(Path dir) {
    try (var files = Files.walk(dir)) {
      files
          .sorted(java.util.Comparator.reverseOrder())
          .forEach(
              f -> {
                try {
                  Files.deleteIfExists(f);
                } catch (IOException ignored) {
                  // a temp file left behind is harmless
                }
              });
    } catch (IOException ignored) {
      // idem
    }
  }
}
