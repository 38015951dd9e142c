package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import bulwark.config.ConfigException;
import bulwark.config.ConfigLoader;
import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The admin listener: never exposed beyond loopback without a long token, the token compared in
 * constant time, and admin input only ever matched, never evaluated.
 */
class AdminSecurityIT {
  static final String TOKEN = "0123456789abcdef0123456789abcdef";

  private static String config(Upstream up, String adminHost, String token) {
    return """
        server:
          listen: "127.0.0.1:${PORT}"
          shutdown: { gracePeriod: 1s }
        admin:
          listen: "%s:${ADMIN_PORT}"
          token: "%s"
        observability:
          accessLog: { enabled: false }
        upstreams:
          a: { targets: [ { url: "%s" } ] }
        routes:
          - { name: all, match: { path: /** }, upstream: a }
        """.formatted(adminHost, token, up.url());
  }

  @Test
  void aNonLoopbackAdminListenerNeedsATokenOfAtLeast32Characters() throws Exception {
    try (Upstream up = new Upstream("a")) {
      for (String weak : new String[] {"", "short", TOKEN.substring(1)}) {
        assertThatThrownBy(() -> RunningGateway.start(config(up, "0.0.0.0", weak)).close())
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("admin.token");
      }
      // and the same config is refused by validation alone (./bulwark validate)
      assertThatThrownBy(() -> new ConfigLoader(Map.of("PORT", "1", "ADMIN_PORT", "2")::get).parse(config(up, "0.0.0.0", "short")))
          .isInstanceOf(ConfigException.class);
      try (RunningGateway gw = RunningGateway.start(config(up, "0.0.0.0", TOKEN))) {
        assertThat(TestSupport.get(gw.adminUrl("/routes")).statusCode()).isEqualTo(401);
        assertThat(TestSupport.get(gw.adminUrl("/routes"), "Authorization", "Bearer " + TOKEN.substring(1) + "x").statusCode()).isEqualTo(401);
        assertThat(TestSupport.get(gw.adminUrl("/routes"), "Authorization", "Bearer " + TOKEN + "x").statusCode()).isEqualTo(401);
        assertThat(TestSupport.get(gw.adminUrl("/routes"), "Authorization", "Bearer " + TOKEN).statusCode()).isEqualTo(200);
      }
    }
  }

  @Test
  void adminInputIsMatchedNeverEvaluated() throws Exception {
    try (Upstream up = new Upstream("a"); RunningGateway gw = RunningGateway.start(config(up, "127.0.0.1", TOKEN))) {
      String[] auth = {"Authorization", "Bearer " + TOKEN, "X-Probe", "${jndi:ldap://127.0.0.1:1/x} #{7*7} ${7*7} {{7*7}}"};
      HttpResponse<String> r = TestSupport.get(gw.adminUrl("/routes?q=%24%7B7*7%7D&x=%23%7B7*7%7D"), auth);
      assertThat(r.statusCode()).isEqualTo(200);
      // the same answer as without the probes: nothing in them was looked at, let alone evaluated
      assertThat(r.body()).contains("\"all\"").isEqualTo(TestSupport.get(gw.adminUrl("/routes"), "Authorization", "Bearer " + TOKEN).body());
      HttpResponse<String> nf = TestSupport.get(gw.adminUrl("/%24%7B7*7%7D"), auth);
      assertThat(nf.statusCode()).isEqualTo(404);
      assertThat(new io.vertx.core.json.JsonObject(nf.body()).getString("detail")).isEqualTo("no admin endpoint /%24%7B7*7%7D");
      // read-only: no method changes anything
      assertThat(TestSupport.send("POST", gw.adminUrl("/routes"), "{\"routes\":[]}", auth).statusCode()).isEqualTo(405);
      assertThat(TestSupport.send("PUT", gw.adminUrl("/upstreams"), "x", auth).statusCode()).isEqualTo(405);
      assertThat(TestSupport.get(gw.url("/routes")).body()).doesNotContain("\"routes\"");
    }
  }
}
