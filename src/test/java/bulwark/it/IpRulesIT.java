package bulwark.it;

import static bulwark.it.ItClients.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ipRules middleware through the running gateway. The test client connects from 127.0.0.1;
 * other addresses arrive in X-Forwarded-For, which counts only from a trusted proxy.
 */
class IpRulesIT {
  static Upstream up;

  @BeforeAll
  static void startUpstream() {
    up = new Upstream("a");
  }

  @AfterAll
  static void stopUpstream() {
    if (up != null) up.close();
  }

  static String config(String trusted) {
    return """
        server:
          listen: "127.0.0.1:${PORT}"
          trustedProxies: [%s]
          shutdown: { gracePeriod: 2s }
        admin:
          listen: "127.0.0.1:${ADMIN_PORT}"
        observability:
          accessLog: { enabled: false }
        upstreams:
          a: { targets: [ { url: %s } ] }
        middlewares:
          office: { ipRules: { allow: ["198.51.100.0/24", "2001:db8:1::/48", "127.0.0.1"], deny: ["198.51.100.66", "2001:db8:1:bad::/64"] } }
          blocklist: { ipRules: { deny: ["203.0.113.0/24", "2001:db8:dead::/48"] } }
          strict: { ipRules: { allow: ["198.51.100.0/24"] } }
          noLoopback: { ipRules: { deny: ["127.0.0.0/8", "::1"] } }
        routes:
          - { name: office, match: { path: /office/** }, upstream: a, middlewares: [office] }
          - { name: blocked, match: { path: /any/** }, upstream: a, middlewares: [blocklist] }
          - { name: strict, match: { path: /strict/** }, upstream: a, middlewares: [strict] }
          - { name: noLoopback, match: { path: /remote/** }, upstream: a, middlewares: [noLoopback] }
        """
        .formatted(trusted, up.url());
  }

  @Test
  void allowAndDenyListsWithIpv4AndIpv6ClientsBehindATrustedProxy() throws Exception {
    try (RunningGateway gw = RunningGateway.start(config("\"127.0.0.1/32\""))) {
      assertThat(
              TestSupport.get(gw.url("/office/x"), "X-Forwarded-For", "198.51.100.7").statusCode())
          .isEqualTo(200);
      assertThat(
              TestSupport.get(gw.url("/office/x"), "X-Forwarded-For", "2001:db8:1:2::9")
                  .statusCode())
          .isEqualTo(200);
      // deny wins over allow
      assertThat(
              assertProblem(
                      TestSupport.get(gw.url("/office/x"), "X-Forwarded-For", "198.51.100.66"), 403)
                  .getString("detail"))
          .contains("198.51.100.66");
      assertProblem(
          TestSupport.get(gw.url("/office/x"), "X-Forwarded-For", "2001:db8:1:bad::1"), 403);
      // not in the allow list
      assertProblem(TestSupport.get(gw.url("/office/x"), "X-Forwarded-For", "192.0.2.1"), 403);
      assertProblem(TestSupport.get(gw.url("/office/x"), "X-Forwarded-For", "2001:db8:2::1"), 403);
      // a deny list alone lets everyone else in
      assertThat(TestSupport.get(gw.url("/any/x"), "X-Forwarded-For", "192.0.2.1").statusCode())
          .isEqualTo(200);
      assertProblem(TestSupport.get(gw.url("/any/x"), "X-Forwarded-For", "203.0.113.5"), 403);
      assertProblem(
          TestSupport.get(gw.url("/any/x"), "X-Forwarded-For", "2001:db8:dead:1::1"), 403);
      // the right-most address that is not a trusted proxy is the client: a forged left entry
      // changes nothing
      assertProblem(
          TestSupport.get(gw.url("/any/x"), "X-Forwarded-For", "192.0.2.1, 203.0.113.5"), 403);
      assertProblem(
          TestSupport.get(gw.url("/office/x"), "X-Forwarded-For", "198.51.100.7, 192.0.2.1"), 403);
      // through the trusted proxy the forwarded client is the one checked
      assertThat(
              TestSupport.get(gw.url("/strict/x"), "X-Forwarded-For", "198.51.100.7").statusCode())
          .isEqualTo(200);
      assertThat(TestSupport.get(gw.url("/remote/x"), "X-Forwarded-For", "192.0.2.1").statusCode())
          .isEqualTo(200);
      assertProblem(TestSupport.get(gw.url("/strict/x")), 403);
    }
  }

  @Test
  void xForwardedForFromAnUntrustedPeerCannotBypassTheRules() throws Exception {
    // 127.0.0.1 is not a trusted proxy here, so the client is 127.0.0.1 whatever the header says
    try (RunningGateway gw = RunningGateway.start(config("\"10.0.0.0/8\""))) {
      int seen = up.seen.size();
      // an allowed address claimed in the header does not open the allow list
      assertThat(
              assertProblem(
                      TestSupport.get(gw.url("/strict/x"), "X-Forwarded-For", "198.51.100.7"), 403)
                  .getString("detail"))
          .contains("127.0.0.1");
      // nor does a foreign address escape a deny rule that matches the real peer
      assertProblem(TestSupport.get(gw.url("/remote/x"), "X-Forwarded-For", "192.0.2.1"), 403);
      assertProblem(
          TestSupport.get(
              gw.url("/remote/x"), "X-Forwarded-For", "192.0.2.1", "Forwarded", "for=192.0.2.1"),
          403);
      // and a denied address in the header does not get the real peer refused
      assertThat(TestSupport.get(gw.url("/any/x"), "X-Forwarded-For", "203.0.113.5").statusCode())
          .isEqualTo(200);
      assertThat(up.seen.size()).isEqualTo(seen + 1);
    }
  }
}
