package bulwark.it;

import static bulwark.it.ItClients.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import bulwark.it.ItClients.RawConnection;
import bulwark.it.ItClients.RawResponse;
import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Slow clients: a body that stops coming gets 408 and a closed connection; other clients are served
 * meanwhile.
 */
class SlowClientIT {
  static Upstream up;
  static RunningGateway gw;

  @BeforeAll
  static void start() throws Exception {
    up = new Upstream("a");
    gw =
        RunningGateway.start(
            """
        server:
          listen: "127.0.0.1:${PORT}"
          shutdown: { gracePeriod: 2s }
          limits: { bodyReadTimeout: 600ms, requestHeaderTimeout: 2s }
        admin:
          listen: "127.0.0.1:${ADMIN_PORT}"
        observability:
          accessLog: { enabled: false }
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

  @Test
  void aBodyThatStopsComingGets408AndTheConnectionIsClosed() throws Exception {
    try (RawConnection slow = new RawConnection(gw.port);
        RawConnection chunked = new RawConnection(gw.port)) {
      slow.write("POST /slow HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
      chunked.write(
          "POST /slow-chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
      // while both wait, others are served
      for (int i = 0; i < 5; i++) {
        HttpResponse<String> r = TestSupport.get(gw.url("/ok/" + i));
        assertThat(r.statusCode()).isEqualTo(200);
      }
      long t0 = System.nanoTime();
      RawResponse r = slow.read(false);
      assertProblem(r, 408);
      assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
      assertThat(slow.closedByPeer()).isTrue();
      RawResponse rc = chunked.read(false);
      assertProblem(rc, 408);
      assertThat(chunked.closedByPeer()).isTrue();
      assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(10_000);
    }
  }

  @Test
  void aHeadThatNeverEndsIsCutAfterRequestHeaderTimeoutWithHttp2On() throws Exception {
    // http2 is on by default (h2c upgrade and prior knowledge), so Vert.x sees a connection only
    // after its first complete head: the guard at the Netty level must still cut a slowloris
    try (RawConnection slow = new RawConnection(gw.port);
        RawConnection one = new RawConnection(gw.port);
        RawConnection silent = new RawConnection(gw.port)) {
      slow.write("GET /slowloris HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n");
      one.write("G");
      // meanwhile complete requests are served
      assertThat(TestSupport.get(gw.url("/ok")).statusCode()).isEqualTo(200);
      RawResponse r = slow.read(false);
      assertProblem(r, 408);
      assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
      assertThat(slow.closedByPeer()).as("a partial head is cut").isTrue();
      assertProblem(one.read(false), 408);
      assertThat(one.closedByPeer()).as("one byte and nothing more is cut").isTrue();
      assertThat(silent.closedByPeer()).as("a connection that sends nothing is closed").isTrue();
    }
  }

  @Test
  void aKeptAliveConnectionIsNotCutByTheFirstHeadsTimer() throws Exception {
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write("GET /a HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(c.read(false).status()).isEqualTo(200);
      Thread.sleep(2500); // past requestHeaderTimeout (2s): the timer was for the first head only
      c.write("GET /b HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(c.read(false).status()).isEqualTo(200);
    }
  }

  @Test
  void aSlowButSteadyBodyIsNotCut() throws Exception {
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write("POST /steady HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\n");
      // 6 bytes over ~1.5s: longer than the timeout in total, but never idle that long
      for (int i = 0; i < 6; i++) {
        Thread.sleep(250);
        c.write("x");
      }
      RawResponse r = c.read(false);
      assertThat(r.status()).isEqualTo(200);
      assertThat(new JsonObject(r.body()).getInteger("bytes")).isEqualTo(6);
    }
  }
}
