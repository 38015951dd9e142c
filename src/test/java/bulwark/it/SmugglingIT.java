package bulwark.it;

import static bulwark.it.ItClients.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.ItClients.RawConnection;
import bulwark.it.ItClients.RawResponse;
import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Request smuggling: ambiguous framing gets 400 problem+json, the connection is closed, and no
 * request (or the one hidden behind it) reaches the upstream. The upstream counts the requests it
 * saw whole.
 */
class SmugglingIT {
  static final AtomicInteger complete = new AtomicInteger();
  static volatile CompletableFuture<Void> release = new CompletableFuture<>();
  static Upstream up;
  static RunningGateway gw;

  @BeforeAll
  static void start() throws Exception {
    up =
        new Upstream(
            "a",
            req ->
                req.body()
                    .onSuccess(
                        b -> {
                          complete.incrementAndGet();
                          Runnable answer =
                              () ->
                                  req.response()
                                      .putHeader("Content-Type", "application/json")
                                      .end(
                                          new JsonObject()
                                              .put("uri", req.uri())
                                              .put("body", b.toString())
                                              .encode());
                          // "/slow..." is answered only once the test releases it: a later refusal
                          // cannot overtake it by chance
                          if (req.path().startsWith("/slow")) {
                            var ctx = up.vertx.getOrCreateContext();
                            release.thenRun(() -> ctx.runOnContext(v -> answer.run()));
                          } else {
                            answer.run();
                          }
                        }));
    gw =
        RunningGateway.start(
            TestSupport.head()
                + """
        upstreams:
          a: { targets: [ { url: "%s" } ] }
        routes:
          - { name: all, match: { path: /** }, upstream: a }
        """
                    .formatted(up.url()));
  }

  @AfterAll
  static void stop() {
    if (gw != null) gw.close();
    if (up != null) up.close();
  }

  @BeforeEach
  void reset() {
    up.seen.clear();
    complete.set(0);
    release = new CompletableFuture<>();
  }

  static final String POST = "POST /x HTTP/1.1\r\nHost: a\r\n";
  static final String SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";

  static Stream<Arguments> rejected() {
    return Stream.of(
        Arguments.of(
            "CL and TE",
            POST + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
            "both Content-Length and Transfer-Encoding"),
        Arguments.of(
            "TE and CL",
            POST + "Transfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n" + SMUGGLED,
            "both Content-Length and Transfer-Encoding"),
        Arguments.of(
            "two different CL",
            POST + "Content-Length: 0\r\nContent-Length: 36\r\n\r\n" + SMUGGLED,
            "more than one Content-Length"),
        Arguments.of(
            "two equal CL",
            POST + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
            "more than one Content-Length"),
        Arguments.of(
            "CL list", POST + "Content-Length: 5, 5\r\n\r\nhello", "invalid Content-Length"),
        Arguments.of(
            "CL signed", POST + "Content-Length: +5\r\n\r\nhello", "invalid Content-Length"),
        Arguments.of(
            "TE two spaces",
            POST + "Transfer-Encoding:  chunked\r\n\r\n0\r\n\r\n",
            "Transfer-Encoding other than 'chunked'"),
        Arguments.of(
            "TE tab",
            POST + "Transfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n",
            "Transfer-Encoding other than 'chunked'"),
        Arguments.of(
            "TE trailing space",
            POST + "Transfer-Encoding: chunked \r\n\r\n0\r\n\r\n",
            "Transfer-Encoding other than 'chunked'"),
        Arguments.of(
            "TE chunked, identity",
            POST + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
            "Transfer-Encoding other than 'chunked'"),
        Arguments.of(
            "TE identity",
            POST + "Transfer-Encoding: identity\r\n\r\n",
            "Transfer-Encoding other than 'chunked'"),
        Arguments.of(
            "TE xchunked",
            POST + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
            "Transfer-Encoding other than 'chunked'"),
        Arguments.of(
            "TE twice",
            POST + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "more than one Transfer-Encoding"),
        Arguments.of(
            "TE space before colon",
            POST + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
            "whitespace between a header name and its colon"),
        Arguments.of(
            "TE folded",
            POST + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
            "Transfer-Encoding other than 'chunked'"),
        Arguments.of("bare LF everywhere", "GET /x HTTP/1.1\nHost: a\n\n", "bare LF"),
        Arguments.of(
            "bare LF in one header", "GET /x HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", "bare LF"),
        Arguments.of("bare CR", "GET /x HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", "CR without LF"),
        Arguments.of(
            "chunk size 0x10",
            POST + "Transfer-Encoding: chunked\r\n\r\n0x10\r\n0123456789abcdef\r\n0\r\n\r\n",
            "invalid chunk size"),
        Arguments.of(
            "chunk size +5",
            POST + "Transfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n",
            "invalid chunk size"),
        Arguments.of(
            "chunk size -1",
            POST + "Transfer-Encoding: chunked\r\n\r\n-1\r\nhello\r\n0\r\n\r\n",
            "invalid chunk size"),
        Arguments.of(
            "chunk size overlong",
            POST + "Transfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n",
            "overlong chunk size"),
        Arguments.of(
            "chunk size empty",
            POST + "Transfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n",
            "invalid chunk size"),
        Arguments.of(
            "chunk longer than its size",
            POST + "Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n",
            "chunk data"),
        Arguments.of(
            "obs-fold after TE",
            POST + "Transfer-Encoding: chunked\r\n x\r\n\r\n0\r\n\r\n",
            "obs-fold"),
        Arguments.of(
            "chunk bare LF",
            POST + "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
            "bare LF"),
        Arguments.of(
            "NUL in a value",
            "GET /x HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n",
            "NUL in a header value"),
        Arguments.of("obs-fold SP", "GET /x HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", "obs-fold"),
        Arguments.of(
            "obs-fold HTAB", "GET /x HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n", "obs-fold"),
        Arguments.of(
            "whitespace before the first header",
            "GET /x HTTP/1.1\r\n Host: a\r\n\r\n",
            "obs-fold"),
        Arguments.of(
            "trailer obs-fold",
            POST + "Transfer-Encoding: chunked\r\n\r\n0\r\nX: a\r\n b\r\n\r\n",
            "obs-fold"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rejected")
  void ambiguousFramingIsRejectedAndNothingReachesTheUpstream(
      String name, String request, String detail) throws Exception {
    assertRejected(request.getBytes(StandardCharsets.ISO_8859_1), false, detail);
  }

  @ParameterizedTest(name = "{0}, byte by byte")
  @MethodSource("rejected")
  void theSameWhenEachByteComesAlone(String name, String request, String detail) throws Exception {
    assertRejected(request.getBytes(StandardCharsets.ISO_8859_1), true, detail);
  }

  private void assertRejected(byte[] request, boolean slow, String detail) throws Exception {
    try (RawConnection c = new RawConnection(gw.port)) {
      if (slow) {
        for (byte b : request) {
          try {
            c.write(new byte[] {b});
          } catch (java.io.IOException closed) {
            break; // the gateway closed the connection at the offending byte
          }
        }
      } else {
        c.write(request);
      }
      RawResponse r = c.read(false);
      JsonObject p = assertProblem(r, 400);
      assertThat(p.getString("detail")).contains(detail);
      assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
      assertThat(c.closedByPeer()).isTrue();
    }
    Thread.sleep(50);
    assertThat(complete.get()).as("requests the upstream saw whole").isZero();
    assertThat(up.seen.stream().map(TestSupport.Seen::uri)).doesNotContain("/smuggled");
  }

  @Test
  void wellFramedRequestsKeepWorkingOnOneConnection() throws Exception {
    try (RawConnection c = new RawConnection(gw.port)) {
      // chunked with an extension and a trailer, then Content-Length, then no body, pipelined in
      // one write
      c.write(
          POST
              + "Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n"
              + POST
              + "Content-Length: 3\r\n\r\nabc"
              + "GET /three HTTP/1.1\r\nHost: a\r\n\r\n");
      RawResponse r1 = c.read(false);
      assertThat(r1.status()).isEqualTo(200);
      assertThat(new JsonObject(r1.body()).getString("body")).isEqualTo("hello0123456789");
      RawResponse r2 = c.read(false);
      assertThat(r2.status()).isEqualTo(200);
      assertThat(new JsonObject(r2.body()).getString("body")).isEqualTo("abc");
      RawResponse r3 = c.read(false);
      assertThat(r3.status()).isEqualTo(200);
      assertThat(new JsonObject(r3.body()).getString("uri")).isEqualTo("/three");
      // and one more after the pipelined ones, with a leading empty line and a one-space TE
      c.write("\r\n" + POST + "Transfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
      RawResponse r4 = c.read(false);
      assertThat(r4.status()).isEqualTo(200);
      assertThat(new JsonObject(r4.body()).getString("body")).isEqualTo("ok");
    }
    assertThat(complete.get()).isEqualTo(4);
  }

  static List<String> seenUris() {
    return up.seen.stream().map(TestSupport.Seen::uri).toList();
  }

  /**
   * Reads one response off the raw socket and checks it is the upstream's answer to {@code uri}.
   */
  private static void assertAnswered(RawConnection c, String uri) throws Exception {
    RawResponse r = c.read(false);
    assertThat(r.status()).as("the answer to %s; body %s", uri, r.body()).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getString("uri")).isEqualTo(uri);
  }

  private static void assertRefusedAndClosed(RawConnection c, String detail) throws Exception {
    RawResponse r = c.read(false);
    JsonObject p = assertProblem(r, 400);
    assertThat(p.getString("detail")).contains(detail);
    assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
    assertThat(c.closedByPeer()).isTrue();
  }

  static Stream<Arguments> smuggledBehindAGoodOne() {
    return Stream.of(
        Arguments.of(
            "CL and TE",
            POST + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
            "both Content-Length and Transfer-Encoding"),
        Arguments.of(
            "TE two spaces",
            POST + "Transfer-Encoding:  chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
            "Transfer-Encoding other than 'chunked'"),
        Arguments.of(
            "bad chunk size",
            POST + "Transfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n" + SMUGGLED,
            "invalid chunk size"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("smuggledBehindAGoodOne")
  void aBadRequestPipelinedBehindGoodOnesIsAnsweredAfterThemInOrder(
      String name, String bad, String detail) throws Exception {
    try (RawConnection c = new RawConnection(gw.port)) {
      // two good requests and the bad one in one write; the first is held by the upstream until it
      // is released
      c.write(
          "GET /slow/first HTTP/1.1\r\nHost: a\r\n\r\n"
              + "GET /second HTTP/1.1\r\nHost: a\r\n\r\n"
              + bad);
      await().atMost(Duration.ofSeconds(30)).until(() -> seenUris().contains("/slow/first"));
      release.complete(null);
      assertAnswered(c, "/slow/first");
      assertAnswered(c, "/second");
      assertRefusedAndClosed(c, detail);
    }
    assertThat(seenUris()).containsExactly("/slow/first", "/second");
  }

  @Test
  void aSmuggledRequestAfterAGoodOneOnTheSameConnectionNeverReachesTheUpstream() throws Exception {
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write(
          "GET /first HTTP/1.1\r\nHost: a\r\n\r\n"
              + POST
              + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
              + SMUGGLED);
      assertAnswered(c, "/first");
      assertRefusedAndClosed(c, "both Content-Length and Transfer-Encoding");
    }
    assertThat(seenUris()).containsExactly("/first");
  }

  static Stream<Arguments> afterAnUpgradeThatDidNotHappen() {
    return Stream.of(
        Arguments.of(
            "TE two spaces",
            "Transfer-Encoding:  chunked\r\n",
            "Transfer-Encoding other than 'chunked'"),
        Arguments.of(
            "TE tab", "Transfer-Encoding:\tchunked\r\n", "Transfer-Encoding other than 'chunked'"),
        Arguments.of(
            "TE trailing space",
            "Transfer-Encoding: chunked \r\n",
            "Transfer-Encoding other than 'chunked'"),
        Arguments.of("obs-fold", "X-A: 1\r\n Transfer-Encoding: chunked\r\n", "obs-fold"),
        Arguments.of(
            "CL and TE",
            "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n",
            "both Content-Length and Transfer-Encoding"));
  }

  @ParameterizedTest(name = "Upgrade: foo, then {0}")
  @MethodSource("afterAnUpgradeThatDidNotHappen")
  void theGuardStaysOnAfterAnUpgradeHeaderThatUpgradedNothing(
      String name, String badHeader, String detail) throws Exception {
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write("GET /public/a HTTP/1.1\r\nHost: a\r\nUpgrade: foo\r\nConnection: Upgrade\r\n\r\n");
      assertAnswered(c, "/public/a");
      c.write("POST /public/b HTTP/1.1\r\nHost: a\r\n" + badHeader + "\r\n0\r\n\r\n" + SMUGGLED);
      assertRefusedAndClosed(c, detail);
    }
    assertThat(seenUris()).containsExactly("/public/a");
  }

  @ParameterizedTest(name = "Upgrade: foo pipelined with {0}")
  @MethodSource("afterAnUpgradeThatDidNotHappen")
  void theSameWhenTheBadRequestIsPipelinedBehindTheUpgrade(
      String name, String badHeader, String detail) throws Exception {
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write(
          "GET /public/a HTTP/1.1\r\nHost: a\r\nUpgrade: foo\r\nConnection: Upgrade\r\n\r\n"
              + "POST /public/b HTTP/1.1\r\nHost: a\r\n"
              + badHeader
              + "\r\n0\r\n\r\n"
              + SMUGGLED);
      assertAnswered(c, "/public/a");
      assertRefusedAndClosed(c, detail);
    }
    assertThat(seenUris()).containsExactly("/public/a");
  }

  @Test
  void aRefusedConnectClosesTheConnection() throws Exception {
    try (RawConnection c = new RawConnection(gw.port)) {
      // tunnel bytes (here a smuggled request) right behind the CONNECT never reach the upstream
      c.write("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n" + SMUGGLED);
      RawResponse r = c.read(false);
      assertThat(r.status()).isBetween(400, 499);
      assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
      assertThat(c.closedByPeer()).isTrue();
    }
    assertThat(seenUris()).isEmpty();
  }
}
