package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.it.ItClients.RawConnection;
import bulwark.it.ItClients.RawResponse;
import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Seen;
import bulwark.it.TestSupport.Upstream;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hop-by-hop removal, forwarding headers (trusted and untrusted peers) and request ids, end to end.
 */
class HeadersIT {
  static Upstream up;

  /** 127.0.0.1 is NOT a trusted proxy here. */
  static RunningGateway untrusted;

  /** 127.0.0.1 is a trusted proxy here. */
  static RunningGateway trusted;

  static void handle(HttpServerRequest req) {
    if (req.path().equals("/resp-hop")) {
      req.response()
          .putHeader("Connection", "X-Up-Hop")
          .putHeader("Keep-Alive", "timeout=5, max=100")
          .putHeader("Proxy-Connection", "keep-alive")
          .putHeader("Upgrade", "foo/1")
          .putHeader("Proxy-Authenticate", "Basic")
          .putHeader("X-Up-Hop", "secret")
          .putHeader("X-Up-Normal", "kept")
          .end("ok");
      return;
    }
    req.body()
        .onSuccess(
            b -> req.response().putHeader("X-Bytes", Integer.toString(b.length())).end("ok"));
  }

  static String config(String upstreamUrl, String trustedProxies) {
    return TestSupport.head()
            .replace("  shutdown:", "  trustedProxies: " + trustedProxies + "\n  shutdown:")
        + """
        upstreams:
          a: { targets: [ { url: %s } ] }
        routes:
          - { name: all, match: { path: /** }, upstream: a }
        """
            .formatted(upstreamUrl);
  }

  @BeforeAll
  static void start() throws Exception {
    up = new Upstream("a", HeadersIT::handle);
    untrusted = RunningGateway.start(config(up.url(), "[\"10.0.0.0/8\", \"::1/128\"]"));
    trusted = RunningGateway.start(config(up.url(), "[\"127.0.0.1/32\"]"));
  }

  @AfterAll
  static void stop() {
    if (untrusted != null) untrusted.close();
    if (trusted != null) trusted.close();
    if (up != null) up.close();
  }

  @BeforeEach
  void clear() {
    up.seen.clear();
  }

  private static Seen seen() throws InterruptedException {
    Seen s = up.seen.poll(5, TimeUnit.SECONDS);
    assertThat(s).as("the upstream saw the request").isNotNull();
    return s;
  }

  /**
   * Sends the request line and headers (adding Host, and Connection: close when none is given) and
   * reads the response.
   */
  private static RawResponse raw(RunningGateway gw, String... lines) throws Exception {
    List<String> all = new java.util.ArrayList<>(List.of(lines));
    all.add(1, "Host: gw.test:" + gw.port);
    if (all.stream().noneMatch(l -> l.regionMatches(true, 0, "Connection:", 0, 11)))
      all.add("Connection: close");
    try (RawConnection c = new RawConnection(gw.port)) {
      return c.exchange(all.toArray(String[]::new));
    }
  }

  @Test
  void hopByHopRequestHeadersNeverReachTheUpstream() throws Exception {
    RawResponse r =
        raw(
            untrusted,
            "GET /hop HTTP/1.1",
            "Connection: keep-alive, Upgrade, TE, X-Custom-Hop",
            "Keep-Alive: timeout=5",
            "TE: trailers",
            "Upgrade: foo/2",
            "Proxy-Connection: keep-alive",
            "Proxy-Authorization: Basic Zm9vOmJhcg==",
            "X-Custom-Hop: secret",
            "X-Normal: stays");
    assertThat(r.status()).isEqualTo(200);
    MultiMap h = seen().headers();
    assertThat(ItClients.lowerNames(h))
        .doesNotContain(
            "keep-alive",
            "te",
            "upgrade",
            "proxy-connection",
            "proxy-authorization",
            "x-custom-hop");
    assertThat(h.getAll("Connection"))
        .as("Connection toward the upstream is the gateway's own")
        .noneMatch(
            v -> {
              String l = v.toLowerCase();
              return l.contains("x-custom-hop") || l.contains("upgrade") || l.contains("te");
            });
    assertThat(h.get("X-Normal")).isEqualTo("stays");
  }

  @Test
  void spoofedForwardingHeadersFromAnUntrustedClientAreReplaced() throws Exception {
    RawResponse r =
        raw(
            untrusted,
            "GET /spoof HTTP/1.1",
            "X-Forwarded-For: 1.2.3.4",
            "X-Forwarded-Proto: https",
            "X-Forwarded-Host: evil.example",
            "Forwarded: for=1.2.3.4;proto=https");
    assertThat(r.status()).isEqualTo(200);
    MultiMap h = seen().headers();
    assertThat(h.getAll("X-Forwarded-For")).containsExactly("127.0.0.1");
    assertThat(h.getAll("X-Forwarded-Proto")).containsExactly("http");
    assertThat(h.getAll("X-Forwarded-Host")).containsExactly("gw.test:" + untrusted.port);
    assertThat(h.getAll("Forwarded"))
        .containsExactly("for=127.0.0.1;proto=http;host=\"gw.test:" + untrusted.port + "\"");
  }

  @Test
  void forwardingHeadersFromATrustedProxyAreKeptAndExtended() throws Exception {
    RawResponse r =
        raw(
            trusted,
            "GET /chain HTTP/1.1",
            "X-Forwarded-For: 1.2.3.4",
            "X-Forwarded-Proto: https",
            "X-Forwarded-Host: shop.example",
            "Forwarded: for=1.2.3.4;proto=https");
    assertThat(r.status()).isEqualTo(200);
    MultiMap h = seen().headers();
    assertThat(h.getAll("X-Forwarded-For")).containsExactly("1.2.3.4, 127.0.0.1");
    assertThat(h.get("X-Forwarded-Proto")).isEqualTo("https");
    assertThat(h.get("X-Forwarded-Host")).isEqualTo("shop.example");
    assertThat(h.getAll("Forwarded"))
        .containsExactly(
            "for=1.2.3.4;proto=https, for=127.0.0.1;proto=http;host=\"gw.test:"
                + trusted.port
                + "\"");
  }

  @Test
  void connectionHeaderCannotStripTheGatewaysForwardingHeaders() throws Exception {
    // CVE-2024-45410: headers named in Connection are removed before the gateway adds its own
    RawResponse r =
        raw(
            untrusted,
            "GET /cve HTTP/1.1",
            "Connection: X-Forwarded-For, X-Forwarded-Host, X-Forwarded-Proto, Forwarded, X-Request-Id",
            "X-Forwarded-For: 1.2.3.4");
    assertThat(r.status()).isEqualTo(200);
    MultiMap h = seen().headers();
    assertThat(h.getAll("X-Forwarded-For")).containsExactly("127.0.0.1");
    assertThat(h.get("X-Forwarded-Proto")).isEqualTo("http");
    assertThat(h.get("X-Forwarded-Host")).isEqualTo("gw.test:" + untrusted.port);
    assertThat(h.get("Forwarded")).startsWith("for=127.0.0.1;proto=http");
    assertThat(h.get("X-Request-Id")).isNotBlank().isEqualTo(r.header("X-Request-Id"));
  }

  @Test
  void forwardingHeadersAreSetForAPlainRequest() throws Exception {
    HttpResponse<String> r = TestSupport.get(untrusted.url("/plain"));
    assertThat(r.statusCode()).isEqualTo(200);
    MultiMap h = seen().headers();
    assertThat(h.get("X-Forwarded-For")).isEqualTo("127.0.0.1");
    assertThat(h.get("X-Forwarded-Proto")).isEqualTo("http");
    assertThat(h.get("X-Forwarded-Host")).isEqualTo("127.0.0.1:" + untrusted.port);
    assertThat(h.get("Forwarded"))
        .isEqualTo("for=127.0.0.1;proto=http;host=\"127.0.0.1:" + untrusted.port + "\"");
  }

  @Test
  void requestIdGeneratedKeptAndEchoed() throws Exception {
    HttpResponse<String> gen = TestSupport.get(untrusted.url("/id"));
    String id = gen.headers().firstValue("X-Request-Id").orElseThrow();
    assertThat(id).matches("[0-9a-f]{32}");
    assertThat(seen().headers().getAll("X-Request-Id")).containsExactly(id);

    HttpResponse<String> kept =
        TestSupport.get(untrusted.url("/id"), "X-Request-Id", "client-id_1.2:3");
    assertThat(kept.headers().firstValue("X-Request-Id")).hasValue("client-id_1.2:3");
    assertThat(seen().headers().getAll("X-Request-Id")).containsExactly("client-id_1.2:3");

    HttpResponse<String> bad =
        TestSupport.get(untrusted.url("/id"), "X-Request-Id", "bad id<script>");
    String replaced = bad.headers().firstValue("X-Request-Id").orElseThrow();
    assertThat(replaced).matches("[0-9a-f]{32}");
    assertThat(seen().headers().getAll("X-Request-Id")).containsExactly(replaced);

    HttpResponse<String> other = TestSupport.get(untrusted.url("/id"));
    assertThat(other.headers().firstValue("X-Request-Id").orElseThrow()).isNotEqualTo(id);
  }

  @Test
  void hopByHopResponseHeadersNeverReachTheClient() throws Exception {
    try (RawConnection c = new RawConnection(untrusted.port)) {
      RawResponse r = c.exchange("GET /resp-hop HTTP/1.1", "Host: gw.test");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok");
      assertThat(ItClients.lowerNames(r.headers()))
          .doesNotContain(
              "keep-alive", "proxy-connection", "upgrade", "proxy-authenticate", "x-up-hop");
      assertThat(r.headers().getAll("Connection"))
          .noneMatch(v -> v.toLowerCase().contains("x-up-hop"));
      assertThat(r.header("X-Up-Normal")).isEqualTo("kept");
      // the connection is still usable: the upstream's Connection header did not leak into ours
      RawResponse again = c.exchange("GET /resp-hop HTTP/1.1", "Host: gw.test");
      assertThat(again.status()).isEqualTo(200);
      assertThat(up.seen).hasSize(2);
    }
  }

  @Test
  void websocketUpgradeHeadersAreOnlyKeptForWebSocket() throws Exception {
    // a non-websocket Upgrade is hop-by-hop: dropped along with Connection
    RawResponse r = raw(untrusted, "GET /h2 HTTP/1.1", "Connection: Upgrade", "Upgrade: foo");
    assertThat(r.status()).isEqualTo(200);
    MultiMap h = seen().headers();
    assertThat(h.get("Upgrade")).isNull();
    assertThat(List.of(String.valueOf(h.get("Connection")).toLowerCase()))
        .noneMatch(v -> v.contains("upgrade"));
  }

  @Test
  void contentLengthWithChunkedIsRejected() throws Exception {
    // request smuggling: both framings at once never reach the upstream
    try (RawConnection c = new RawConnection(untrusted.port)) {
      c.write(
          "POST /smuggle HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
              + "3\r\nabc\r\n0\r\n\r\n");
      RawResponse r = c.read(false);
      ItClients.assertProblem(r, 400);
      assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
      assertThat(c.closedByPeer()).isTrue();
    }
    assertThat(up.seen).isEmpty();
  }

  @Test
  void expectContinueIsAnsweredByTheGatewayAndNotForwarded() throws Exception {
    try (RawConnection c = new RawConnection(untrusted.port)) {
      c.write(
          "POST /expect HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
      RawResponse cont = c.readInterim();
      assertThat(cont.status()).isEqualTo(100);
      c.write("hello");
      RawResponse r = c.read(false);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("X-Bytes")).isEqualTo("5");
      assertThat(seen().headers().get("Expect")).isNull();
    }
  }

  @Test
  void aRequestWithoutHostStillGetsForwardingHeaders() throws Exception {
    try (RawConnection c = new RawConnection(untrusted.port)) {
      // HTTP/1.0: on HTTP/1.1 a request without Host is refused (HostValidationIT)
      RawResponse r = c.exchange("GET /nohost HTTP/1.0");
      assertThat(r.status()).isEqualTo(200);
      MultiMap h = seen().headers();
      assertThat(h.get("X-Forwarded-For")).isEqualTo("127.0.0.1");
      assertThat(h.get("Forwarded")).isEqualTo("for=127.0.0.1;proto=http");
    }
  }

  /**
   * What an attacker adds to pose as another client or to make the upstream route to another URL.
   */
  static final String[] OVERRIDES = {
    "X-Real-IP: 6.6.6.6",
    "True-Client-IP: 6.6.6.6",
    "X-Client-IP: 6.6.6.6",
    "CF-Connecting-IP: 6.6.6.6",
    "Fastly-Client-IP: 6.6.6.6",
    "X-Cluster-Client-IP: 6.6.6.6",
    "X-Forwarded-Port: 8443",
    "X-Original-URL: /admin/delete",
    "X-Rewrite-URL: /admin/delete",
    "X_Forwarded_For: 6.6.6.6",
    "x_real_ip: 6.6.6.6",
    "X-Forwarded_Host: evil.example",
    "Transfer_Encoding: chunked",
    "Content_Length: 5",
    "X_Request_Id: forged",
    "X_Custom: kept",
    "X-Custom: kept"
  };

  static final List<String> GONE =
      List.of(
          "true-client-ip",
          "x-client-ip",
          "cf-connecting-ip",
          "fastly-client-ip",
          "x-cluster-client-ip",
          "x-forwarded-port",
          "x-original-url",
          "x-rewrite-url",
          "x_forwarded_for",
          "x_real_ip",
          "x-forwarded_host",
          "transfer_encoding",
          "content_length",
          "x_request_id");

  private static String[] request(String line, String... extra) {
    List<String> all = new java.util.ArrayList<>();
    all.add(line);
    all.addAll(List.of(extra));
    all.addAll(List.of(OVERRIDES));
    return all.toArray(String[]::new);
  }

  @Test
  void ipAndUrlOverrideHeadersFromAnUntrustedClientNeverReachTheUpstream() throws Exception {
    assertThat(raw(untrusted, request("GET /override HTTP/1.1")).status()).isEqualTo(200);
    MultiMap h = seen().headers();
    assertThat(ItClients.lowerNames(h)).doesNotContainAnyElementsOf(GONE);
    assertThat(h.getAll("X-Real-IP"))
        .as("set from the peer, like X-Forwarded-For")
        .containsExactly("127.0.0.1");
    assertThat(h.getAll("X-Forwarded-For")).containsExactly("127.0.0.1");
    assertThat(h.get("X-Forwarded-Host")).isEqualTo("gw.test:" + untrusted.port);
    assertThat(h.get("X-Request-Id")).isNotEqualTo("forged");
    // an underscore name that maps onto nothing Bulwark sets or checks, and ordinary headers, stay
    assertThat(h.get("X_Custom")).isEqualTo("kept");
    assertThat(h.get("X-Custom")).isEqualTo("kept");
    // and the same over HTTP/2 (the headers are copied there, not edited in place)
    HttpResponse<String> r =
        java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_2)
            .build()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(untrusted.url("/override2")))
                    .header("X-Real-IP", "6.6.6.6")
                    .header("True-Client-IP", "6.6.6.6")
                    .header("X-Original-URL", "/admin")
                    .header("X_Forwarded_For", "6.6.6.6")
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    MultiMap h2 = seen().headers();
    assertThat(ItClients.lowerNames(h2))
        .doesNotContain("true-client-ip", "x-original-url", "x_forwarded_for");
    assertThat(h2.getAll("X-Real-IP")).containsExactly("127.0.0.1");
  }

  @Test
  void aTrustedProxyKeepsItsClientAddressHeadersButNotUrlOverridesOrUnderscoreNames()
      throws Exception {
    assertThat(raw(trusted, request("GET /trusted HTTP/1.1", "X-Forwarded-For: 1.2.3.4")).status())
        .isEqualTo(200);
    MultiMap h = seen().headers();
    assertThat(h.getAll("X-Real-IP")).as("the proxy's own").containsExactly("6.6.6.6");
    assertThat(h.get("True-Client-IP")).isEqualTo("6.6.6.6");
    assertThat(h.get("CF-Connecting-IP")).isEqualTo("6.6.6.6");
    assertThat(h.get("X-Forwarded-Port")).isEqualTo("8443");
    assertThat(ItClients.lowerNames(h))
        .doesNotContain(
            "x-original-url",
            "x-rewrite-url",
            "x_forwarded_for",
            "x_real_ip",
            "transfer_encoding",
            "content_length");
    // no X-Real-IP from the proxy: the client its X-Forwarded-For names
    assertThat(raw(trusted, "GET /trusted2 HTTP/1.1", "X-Forwarded-For: 5.6.7.8, 1.2.3.4").status())
        .isEqualTo(200);
    assertThat(seen().headers().getAll("X-Real-IP")).containsExactly("1.2.3.4");
  }

  @Test
  void theStrippedListsAreConfigurableAndConfiguredNamesAreGuardedToo() throws Exception {
    String yaml =
        TestSupport.head()
                .replace(
                    "  shutdown:",
                    "  stripHeaders: [X-Debug-User]\n  proxyOnlyHeaders: [X-Tenant-Override]\n  shutdown:")
            + """
        upstreams:
          a: { targets: [ { url: %s } ] }
        middlewares:
          tag: { headers: { request: { set: { X-Gateway-Tenant: acme } } } }
        routes:
          - { name: all, match: { path: /** }, upstream: a, middlewares: [tag] }
        """
                .formatted(up.url());
    try (RunningGateway gw = RunningGateway.start(yaml)) {
      assertThat(
              raw(
                      gw,
                      "GET /custom HTTP/1.1",
                      "X-Debug-User: root",
                      "X-Tenant-Override: other",
                      "X_Gateway_Tenant: other",
                      "X-Original-URL: /admin",
                      "True-Client-IP: 6.6.6.6")
                  .status())
          .isEqualTo(200);
      MultiMap h = seen().headers();
      assertThat(ItClients.lowerNames(h))
          .doesNotContain("x-debug-user", "x-tenant-override", "x_gateway_tenant");
      assertThat(h.get("X-Gateway-Tenant")).isEqualTo("acme");
      // the operator took them off the lists
      assertThat(h.get("X-Original-URL")).isEqualTo("/admin");
      assertThat(h.get("True-Client-IP")).isEqualTo("6.6.6.6");
    }
  }
}
