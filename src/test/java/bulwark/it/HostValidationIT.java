package bulwark.it;

import static bulwark.it.ItClients.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import bulwark.it.ItClients.RawConnection;
import bulwark.it.ItClients.RawResponse;
import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import io.vertx.core.json.JsonObject;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Host validation (RFC 9112 3.2) on raw sockets: a request whose host is missing, doubled or not a
 * plain host[:port] gets 400 problem+json and reaches no upstream, in particular not a catch-all
 * route behind a host-restricted one. Two real upstreams record what they received.
 */
class HostValidationIT {
  static Upstream secure;
  static Upstream catchAll;
  static RunningGateway gw;

  @BeforeAll
  static void start() throws Exception {
    secure = new Upstream("secure");
    catchAll = new Upstream("catchall");
    gw =
        RunningGateway.start(
            TestSupport.head()
                + """
        upstreams:
          secure: { targets: [ { url: "%s" } ] }
          catchall: { targets: [ { url: "%s" } ] }
        routes:
          - { name: secure, match: { path: /**, host: secure.test }, upstream: secure }
          - { name: wild, match: { path: /w/**, host: "*.wild.test" }, upstream: secure }
          - { name: all, match: { path: /** }, upstream: catchall }
        """
                    .formatted(secure.url(), catchAll.url()));
  }

  @AfterAll
  static void stop() {
    if (gw != null) gw.close();
    if (secure != null) secure.close();
    if (catchAll != null) catchAll.close();
  }

  @BeforeEach
  void reset() {
    secure.seen.clear();
    catchAll.seen.clear();
  }

  static Stream<Arguments> badHosts() {
    return Stream.of(
        Arguments.of("two Host headers", new String[] {"Host: secure.test", "Host: evil.test"}),
        Arguments.of(
            "two equal Host headers", new String[] {"Host: secure.test", "Host: secure.test"}),
        Arguments.of("no Host on HTTP/1.1", new String[] {}),
        Arguments.of("userinfo", new String[] {"Host: secure.test@evil.test"}),
        Arguments.of("userinfo with a port", new String[] {"Host: secure.test:80@evil.test"}),
        Arguments.of("a path", new String[] {"Host: secure.test/evil"}),
        Arguments.of("a query", new String[] {"Host: secure.test?x"}),
        Arguments.of("a fragment", new String[] {"Host: secure.test#x"}),
        Arguments.of("a backslash", new String[] {"Host: secure.test\\evil.test"}),
        Arguments.of("whitespace inside", new String[] {"Host: secure.test evil.test"}),
        Arguments.of("a tab inside", new String[] {"Host: secure.test\tevil.test"}),
        Arguments.of("a list", new String[] {"Host: secure.test, evil.test"}),
        Arguments.of("port over 65535", new String[] {"Host: secure.test:65536"}),
        Arguments.of("port far over 65535", new String[] {"Host: secure.test:99999999999"}),
        Arguments.of("port not digits", new String[] {"Host: secure.test:8o"}),
        Arguments.of("empty port", new String[] {"Host: secure.test:"}),
        Arguments.of("two ports", new String[] {"Host: secure.test:80:81"}),
        Arguments.of("empty", new String[] {"Host: "}),
        Arguments.of("only a port", new String[] {"Host: :80"}),
        Arguments.of("only a dot", new String[] {"Host: ."}),
        Arguments.of("empty label", new String[] {"Host: secure..test"}),
        Arguments.of("percent", new String[] {"Host: secure%2etest"}),
        Arguments.of("unclosed IPv6", new String[] {"Host: [::1"}),
        Arguments.of("IPv6 garbage", new String[] {"Host: [secure.test]"}),
        Arguments.of("non-ASCII", new String[] {"Host: s\u00e9cure.test"}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badHosts")
  void anInvalidHostIsRefusedAndReachesNoUpstream(String name, String[] hostLines)
      throws Exception {
    String head =
        "GET /x HTTP/1.1\r\n"
            + (hostLines.length == 0 ? "" : String.join("\r\n", hostLines) + "\r\n")
            + "\r\n";
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write(head);
      RawResponse r = c.read(false);
      JsonObject p = assertProblem(r, 400);
      assertThat(p.getString("detail")).containsIgnoringCase("host");
    }
    assertThat(secure.seen).isEmpty();
    assertThat(catchAll.seen).isEmpty();
  }

  @Test
  void aGoodRequestBehindARefusedHostOnTheSameConnectionIsNotServed() throws Exception {
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write(
          "GET /x HTTP/1.1\r\nHost: secure.test@evil.test\r\n\r\nGET /after HTTP/1.1\r\nHost: secure.test\r\n\r\n");
      RawResponse r = c.read(false);
      assertProblem(r, 400);
      assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
      assertThat(c.closedByPeer()).isTrue();
    }
    assertThat(secure.seen).isEmpty();
    assertThat(catchAll.seen).isEmpty();
  }

  @Test
  void aBadHostPipelinedBehindAGoodRequestIsRefusedAfterItsAnswer() throws Exception {
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write(
          "GET /first HTTP/1.1\r\nHost: secure.test\r\n\r\n"
              + "GET /x HTTP/1.1\r\nHost: secure.test@evil.test\r\n\r\n"
              + "GET /after HTTP/1.1\r\nHost: secure.test\r\n\r\n");
      RawResponse r1 = c.read(false);
      assertThat(r1.status()).isEqualTo(200);
      assertThat(new JsonObject(r1.body()).getString("uri")).isEqualTo("/first");
      RawResponse r2 = c.read(false);
      assertThat(assertProblem(r2, 400).getString("detail")).contains("userinfo");
      assertThat(c.closedByPeer()).isTrue();
    }
    assertThat(secure.seen.stream().map(TestSupport.Seen::uri)).containsExactly("/first");
    assertThat(catchAll.seen).isEmpty();
  }

  private static JsonObject ok(String... headLines) throws Exception {
    RawResponse r = ItClients.raw(gw.port, headLines);
    assertThat(r.status()).as("body %s", r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  @Test
  void validHostsRoute() throws Exception {
    assertThat(ok("GET /a HTTP/1.1", "Host: secure.test").getString("upstream"))
        .isEqualTo("secure");
    assertThat(ok("GET /a HTTP/1.1", "Host: SECURE.test:8080").getString("upstream"))
        .isEqualTo("secure");
    assertThat(ok("GET /a HTTP/1.1", "Host: secure.test:65535").getString("upstream"))
        .isEqualTo("secure");
    assertThat(ok("GET /a HTTP/1.1", "Host: other.test").getString("upstream"))
        .isEqualTo("catchall");
    assertThat(ok("GET /a HTTP/1.1", "Host: 127.0.0.1:1234").getString("upstream"))
        .isEqualTo("catchall");
    assertThat(ok("GET /a HTTP/1.1", "Host: [::1]:1234").getString("upstream"))
        .isEqualTo("catchall");
    assertThat(ok("GET /a HTTP/1.1", "Host: under_score.test").getString("upstream"))
        .isEqualTo("catchall");
    // HTTP/1.0 needs no Host
    assertThat(ok("GET /a HTTP/1.0").getString("upstream")).isEqualTo("catchall");
  }

  @Test
  void aTrailingDotIsNormalisedBeforeHostMatching() throws Exception {
    assertThat(ok("GET /a HTTP/1.1", "Host: secure.test.").getString("upstream"))
        .isEqualTo("secure");
    assertThat(ok("GET /a HTTP/1.1", "Host: secure.test.:8443").getString("upstream"))
        .isEqualTo("secure");
    assertThat(ok("GET /w/a HTTP/1.1", "Host: a.wild.test.").getString("upstream"))
        .isEqualTo("secure");
    assertThat(secure.seen).hasSize(3);
  }

  @Test
  void anAbsoluteFormTargetsAuthorityWinsOverTheHostHeader() throws Exception {
    assertThat(ok("GET http://secure.test/a HTTP/1.1", "Host: other.test").getString("upstream"))
        .isEqualTo("secure");
    assertThat(ok("GET http://other.test/a HTTP/1.1", "Host: secure.test").getString("upstream"))
        .isEqualTo("catchall");
    assertThat(ok("GET http://secure.test./a HTTP/1.1", "Host: other.test").getString("upstream"))
        .isEqualTo("secure");
  }

  @Test
  void anAbsoluteFormTargetWithABadAuthorityIsRefused() throws Exception {
    for (String target :
        new String[] {
          "http://secure.test@evil.test/a", "http://secure.test:70000/a", "http:///a"
        }) {
      try (RawConnection c = new RawConnection(gw.port)) {
        RawResponse r = c.exchange("GET " + target + " HTTP/1.1", "Host: secure.test");
        assertProblem(r, 400);
      }
    }
    assertThat(secure.seen).isEmpty();
    assertThat(catchAll.seen).isEmpty();
  }
}
