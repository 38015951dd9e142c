package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.it.ItClients.RawConnection;
import bulwark.it.ItClients.RawResponse;
import bulwark.it.TestSupport.RunningGateway;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * WebSocket pass-through, HTTP/2 cleartext (prior knowledge and upgrade) and HTTP/1.1 keep-alive.
 */
class ProtocolIT {
  static Vertx vertx;
  static HttpServer upstream;
  static final LinkedBlockingQueue<MultiMap> wsHandshakes = new LinkedBlockingQueue<>();
  static RunningGateway gw;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    upstream =
        vertx
            .createHttpServer()
            .webSocketHandshakeHandler(
                hs -> {
                  if (hs.path().equals("/ws/deny")) hs.reject(403);
                  else hs.accept();
                })
            .webSocketHandler(
                ws -> {
                  wsHandshakes.add(MultiMap.caseInsensitiveMultiMap().addAll(ws.headers()));
                  ws.textMessageHandler(t -> ws.writeTextMessage("echo:" + t));
                  ws.binaryMessageHandler(b -> ws.writeBinaryMessage(b));
                })
            .requestHandler(
                req -> {
                  if (req.path().startsWith("/status/")) {
                    int code = Integer.parseInt(req.path().substring(8));
                    req.response().setStatusCode(code).putHeader("ETag", "\"v1\"").end();
                    return;
                  }
                  if (req.path().equals("/head")) {
                    req.response().putHeader("Content-Length", "1234").end();
                    return;
                  }
                  if (req.path().equals("/cookies")) {
                    req.response()
                        .putHeader("Set-Cookie", List.<String>of("a=1; Path=/", "b=2; Path=/"))
                        .end("cookies");
                    return;
                  }
                  if (req.path().startsWith("/big/")) {
                    // echoes the size of the request body, then sends the asked number of bytes
                    long[] in = {0};
                    req.handler(b -> in[0] += b.length());
                    req.endHandler(
                        v -> {
                          int n = Integer.parseInt(req.path().substring(5));
                          req.response()
                              .setChunked(true)
                              .putHeader("X-Received", Long.toString(in[0]));
                          byte[] chunk = new byte[16 * 1024];
                          for (int left = n; left > 0; left -= chunk.length)
                            req.response()
                                .write(
                                    Buffer.buffer(left >= chunk.length ? chunk : new byte[left]));
                          req.response().end();
                        });
                    return;
                  }
                  req.body()
                      .onSuccess(
                          b ->
                              req.response()
                                  .putHeader("Content-Type", "application/json")
                                  .end(
                                      new JsonObject()
                                          .put("uri", req.uri())
                                          .put("method", req.method().name())
                                          .put("bytes", b.length())
                                          .put("body", b.toString())
                                          .put("version", req.version().name())
                                          .put(
                                              "cookies",
                                              new io.vertx.core.json.JsonArray(
                                                  req.headers().getAll("Cookie")))
                                          .put(
                                              "headerNames",
                                              new io.vertx.core.json.JsonArray(
                                                  List.copyOf(req.headers().names())))
                                          .encode()));
                });
    upstream.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    gw =
        RunningGateway.start(
            TestSupport.head()
                + """
        upstreams:
          a: { targets: [ { url: "http://127.0.0.1:%d" } ] }
        routes:
          - { name: all, match: { path: /** }, upstream: a }
        """
                    .formatted(upstream.actualPort()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (gw != null) gw.close();
    if (vertx != null) vertx.close().await(10, TimeUnit.SECONDS);
  }

  /**
   * A response with its body, read in the same chain (a Vert.x response body is not kept for
   * later).
   */
  record Got(HttpClientResponse response, Buffer body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  static Got send(HttpClient client, RequestOptions ro, Buffer body) throws Exception {
    return client
        .request(ro.setHost("127.0.0.1").setPort(gw.port))
        .compose(
            req ->
                (body == null ? req.send() : req.send(body))
                    .compose(resp -> resp.body().map(b -> new Got(resp, b))))
        .await(10, TimeUnit.SECONDS);
  }

  @Test
  void webSocketEchoThroughTheGateway() throws Exception {
    WebSocketClient client = vertx.createWebSocketClient();
    try {
      WebSocket ws =
          client
              .connect(
                  new WebSocketConnectOptions()
                      .setHost("127.0.0.1")
                      .setPort(gw.port)
                      .setURI("/ws/chat?room=1"))
              .await(10, TimeUnit.SECONDS);
      LinkedBlockingQueue<String> texts = new LinkedBlockingQueue<>();
      LinkedBlockingQueue<Buffer> binaries = new LinkedBlockingQueue<>();
      ws.textMessageHandler(texts::add);
      ws.binaryMessageHandler(binaries::add);
      ws.writeTextMessage("hello").await(30, TimeUnit.SECONDS);
      assertThat(texts.poll(10, TimeUnit.SECONDS)).isEqualTo("echo:hello");
      ws.writeTextMessage("again").await(30, TimeUnit.SECONDS);
      assertThat(texts.poll(10, TimeUnit.SECONDS)).isEqualTo("echo:again");
      Buffer big = Buffer.buffer(new byte[200_000]);
      ws.writeBinaryMessage(big).await(30, TimeUnit.SECONDS);
      Buffer back = binaries.poll(10, TimeUnit.SECONDS);
      assertThat(back).isNotNull();
      assertThat(back.length()).isEqualTo(200_000);
      MultiMap hs = wsHandshakes.poll(5, TimeUnit.SECONDS);
      assertThat(hs).isNotNull();
      assertThat(hs.get("X-Forwarded-For")).isEqualTo("127.0.0.1");
      assertThat(hs.get("X-Request-Id")).isNotBlank();
      ws.close().await(30, TimeUnit.SECONDS);
    } finally {
      client.close().await(30, TimeUnit.SECONDS);
    }
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> gw.gateway.inFlight() == 0);
  }

  @Test
  void theWebSocketHandshakeResponseIsWellFormed() throws Exception {
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write(
          "GET /ws/raw HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
              + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
      RawResponse r = c.readInterim();
      assertThat(r.status()).isEqualTo(101);
      assertThat(r.headers().getAll("Upgrade")).containsExactly("websocket");
      assertThat(r.headers().getAll("Connection")).hasSize(1);
      assertThat(r.headers().get("Connection")).isEqualToIgnoringCase("upgrade");
      assertThat(r.headers().getAll("Sec-WebSocket-Accept"))
          .containsExactly("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
      assertThat(r.header("X-Request-Id")).isNotBlank();
    }
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> gw.gateway.inFlight() == 0);
  }

  @Test
  void aWebSocketTheUpstreamRejectsGetsTheUpstreamsAnswer() throws Exception {
    try (RawConnection c = new RawConnection(gw.port)) {
      RawResponse r =
          c.exchange(
              "GET /ws/deny HTTP/1.1",
              "Host: gw",
              "Connection: Upgrade",
              "Upgrade: websocket",
              "Sec-WebSocket-Version: 13",
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==");
      assertThat(r.status()).isEqualTo(403);
      assertThat(r.header("Upgrade")).isNull();
      // the client connection goes on as plain HTTP/1.1
      RawResponse next = c.exchange("GET /after-ws HTTP/1.1", "Host: gw", "Connection: close");
      assertThat(next.status()).isEqualTo(200);
      assertThat(new JsonObject(next.body()).getString("uri")).isEqualTo("/after-ws");
    }
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> gw.gateway.inFlight() == 0);
  }

  @Test
  void http2PriorKnowledge() throws Exception {
    HttpClient client =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false));
    try {
      Got r = send(client, new RequestOptions().setURI("/h2/get?x=1"), null);
      assertThat(r.response().version()).isEqualTo(HttpVersion.HTTP_2);
      assertThat(r.response().statusCode()).isEqualTo(200);
      assertThat(r.json().getString("uri")).isEqualTo("/h2/get?x=1");
      assertThat(r.response().getHeader("X-Request-Id")).isNotBlank();

      // HTTP/2 lets a client split Cookie into several fields; HTTP/1.1 allows one (RFC 9113 8.2.3)
      Got cookies =
          client
              .request(
                  new RequestOptions().setHost("127.0.0.1").setPort(gw.port).setURI("/h2/cookies"))
              .compose(
                  req ->
                      req.putHeader("cookie", List.<String>of("a=1", "b=2"))
                          .send()
                          .compose(resp -> resp.body().map(b -> new Got(resp, b))))
              .await(10, TimeUnit.SECONDS);
      assertThat(cookies.json().getJsonArray("cookies").getList()).containsExactly("a=1; b=2");
      assertThat(cookies.json().getJsonArray("headerNames").getList())
          .noneMatch(n -> n.toString().startsWith(":"));

      // a body with a Content-Length
      Got post =
          send(
              client,
              new RequestOptions().setMethod(HttpMethod.POST).setURI("/h2/post"),
              Buffer.buffer("0123456789"));
      assertThat(post.response().version()).isEqualTo(HttpVersion.HTTP_2);
      assertThat(post.json().getString("body")).isEqualTo("0123456789");

      // a body without one (HTTP/2 framing only): the gateway streams it upstream chunked
      Got streamed =
          client
              .request(
                  new RequestOptions()
                      .setMethod(HttpMethod.PUT)
                      .setHost("127.0.0.1")
                      .setPort(gw.port)
                      .setURI("/h2/put"))
              .compose(
                  req -> {
                    req.setChunked(true);
                    req.write("abc");
                    req.write("def");
                    return req.end().compose(v -> req.response());
                  })
              .compose(resp -> resp.body().map(b -> new Got(resp, b)))
              .await(10, TimeUnit.SECONDS);
      assertThat(streamed.response().statusCode()).isEqualTo(200);
      assertThat(streamed.json().getString("body")).isEqualTo("abcdef");

      // several concurrent streams on the one connection
      List<io.vertx.core.Future<JsonObject>> fs = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        String uri = "/h2/many/" + i;
        fs.add(
            client
                .request(new RequestOptions().setHost("127.0.0.1").setPort(gw.port).setURI(uri))
                .compose(req -> req.send().compose(HttpClientResponse::body))
                .map(JsonObject::new));
      }
      for (int i = 0; i < fs.size(); i++) {
        assertThat(fs.get(i).await(10, TimeUnit.SECONDS).getString("uri"))
            .isEqualTo("/h2/many/" + i);
      }
    } finally {
      client.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void http2ByUpgrade() throws Exception {
    try (java.net.http.HttpClient h2 =
        java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_2)
            .connectTimeout(Duration.ofSeconds(5))
            .build()) {
      HttpResponse<String> r =
          h2.send(
              HttpRequest.newBuilder(URI.create(gw.url("/h2c/up?y=2")))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_2);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(r.body()).getString("uri")).isEqualTo("/h2c/up?y=2");
      // the connection is now HTTP/2: a second request, with a body, goes over it
      HttpResponse<String> r2 =
          h2.send(
              HttpRequest.newBuilder(URI.create(gw.url("/h2c/post")))
                  .timeout(Duration.ofSeconds(10))
                  .POST(HttpRequest.BodyPublishers.ofString("payload"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r2.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_2);
      assertThat(new JsonObject(r2.body()).getString("body")).isEqualTo("payload");
    }
  }

  @Test
  void http11KeepAliveReusesOneConnection() throws Exception {
    HttpClient client =
        vertx.createHttpClient(
            new HttpClientOptions().setKeepAlive(true), new PoolOptions().setHttp1MaxSize(1));
    try {
      List<HttpConnection> conns = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        String uri = "/ka/" + i;
        Got r =
            client
                .request(new RequestOptions().setHost("127.0.0.1").setPort(gw.port).setURI(uri))
                .compose(
                    req -> {
                      conns.add(req.connection());
                      return req.send().compose(resp -> resp.body().map(b -> new Got(resp, b)));
                    })
                .await(10, TimeUnit.SECONDS);
        assertThat(r.response().version()).isEqualTo(HttpVersion.HTTP_1_1);
        assertThat(r.json().getString("uri")).isEqualTo(uri);
        assertThat(r.response().getHeader("Connection"))
            .as("the gateway keeps the connection open")
            .isNull();
      }
      assertThat(conns).hasSize(3);
      assertThat(conns.get(1)).isSameAs(conns.get(0));
      assertThat(conns.get(2)).isSameAs(conns.get(0));
    } finally {
      client.close().await(30, TimeUnit.SECONDS);
    }

    // and on a raw socket: two requests, two responses, one connection; then two pipelined at once
    try (RawConnection c = new RawConnection(gw.port)) {
      RawResponse first = c.exchange("GET /raw/1 HTTP/1.1", "Host: gw");
      assertThat(first.status()).isEqualTo(200);
      assertThat(new JsonObject(first.body()).getString("uri")).isEqualTo("/raw/1");
      c.write("POST /raw/2 HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\n\r\nabc");
      RawResponse second = c.read(false);
      assertThat(second.status()).isEqualTo(200);
      assertThat(new JsonObject(second.body()).getString("body")).isEqualTo("abc");
      c.write(
          "GET /raw/3 HTTP/1.1\r\nHost: gw\r\n\r\nGET /raw/4 HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n");
      assertThat(new JsonObject(c.read(false).body()).getString("uri")).isEqualTo("/raw/3");
      assertThat(new JsonObject(c.read(false).body()).getString("uri")).isEqualTo("/raw/4");
      assertThat(c.closedByPeer()).isTrue();
    }
  }

  @Test
  void headAnd204And304PassThroughWithoutABody() throws Exception {
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write("HEAD /head HTTP/1.1\r\nHost: gw\r\n\r\n");
      RawResponse head = c.read(true);
      assertThat(head.status()).isEqualTo(200);
      assertThat(head.header("Content-Length"))
          .as("HEAD keeps the upstream's Content-Length")
          .isEqualTo("1234");
      assertThat(head.header("Transfer-Encoding")).isNull();
      c.write("GET /status/204 HTTP/1.1\r\nHost: gw\r\n\r\n");
      RawResponse noContent = c.read(false);
      assertThat(noContent.status()).isEqualTo(204);
      assertThat(noContent.header("Transfer-Encoding")).isNull();
      c.write("GET /status/304 HTTP/1.1\r\nHost: gw\r\nIf-None-Match: \"v1\"\r\n\r\n");
      RawResponse notModified = c.read(false);
      assertThat(notModified.status()).isEqualTo(304);
      assertThat(notModified.header("ETag")).isEqualTo("\"v1\"");
      assertThat(notModified.header("Transfer-Encoding")).isNull();
      // nothing stray on the connection: the next response parses
      c.write("GET /after HTTP/1.1\r\nHost: gw\r\n\r\n");
      RawResponse after = c.read(false);
      assertThat(after.status()).isEqualTo(200);
      assertThat(new JsonObject(after.body()).getString("uri")).isEqualTo("/after");
    }
  }

  @Test
  void http10ClientGetsAWholeResponse() throws Exception {
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write("GET /old HTTP/1.0\r\nHost: gw\r\n\r\n");
      RawResponse r = c.read(false);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("Transfer-Encoding")).as("no chunked encoding toward HTTP/1.0").isNull();
      assertThat(new JsonObject(r.body()).getString("uri")).isEqualTo("/old");
    }
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write("GET /big/100000 HTTP/1.0\r\nHost: gw\r\n\r\n");
      RawResponse r = c.read(false);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("Transfer-Encoding")).isNull();
      assertThat(r.body().length()).isEqualTo(100000);
    }
  }

  @Test
  void repeatedResponseHeadersAllReachTheClient() throws Exception {
    try (RawConnection c = new RawConnection(gw.port)) {
      RawResponse r = c.exchange("GET /cookies HTTP/1.1", "Host: gw", "Connection: close");
      assertThat(r.headers().getAll("Set-Cookie")).containsExactly("a=1; Path=/", "b=2; Path=/");
    }
  }

  @Test
  void http2LargeBodiesBothWays() throws Exception {
    HttpClient client =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false));
    try {
      int size = 8 << 20;
      Got r =
          client
              .request(
                  new RequestOptions()
                      .setMethod(HttpMethod.POST)
                      .setHost("127.0.0.1")
                      .setPort(gw.port)
                      .setURI("/big/" + size))
              .compose(
                  req -> {
                    req.setChunked(true);
                    byte[] chunk = new byte[64 * 1024];
                    for (int i = 0; i < size / chunk.length; i++) req.write(Buffer.buffer(chunk));
                    return req.end().compose(v -> req.response());
                  })
              .compose(resp -> resp.body().map(b -> new Got(resp, b)))
              .await(30, TimeUnit.SECONDS);
      assertThat(r.response().version()).isEqualTo(HttpVersion.HTTP_2);
      assertThat(r.response().statusCode()).isEqualTo(200);
      assertThat(r.response().getHeader("X-Received")).isEqualTo(Integer.toString(size));
      assertThat(r.body().length()).isEqualTo(size);
    } finally {
      client.close().await(30, TimeUnit.SECONDS);
    }
  }
}
