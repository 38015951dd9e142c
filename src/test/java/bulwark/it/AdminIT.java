package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class AdminIT {
  private static final String TOKEN = "0123456789abcdef0123456789abcdef-admin";

  private static String config(Upstream up, String token) {
    return """
        server:
          listen: "127.0.0.1:${PORT}"
        admin:
          listen: "127.0.0.1:${ADMIN_PORT}"
          token: "%s"
        observability:
          accessLog: { enabled: false }
        upstreams:
          a: { targets: [ { url: %s }, { url: http://127.0.0.1:9 , weight: 2 } ], balancer: least_request }
        routes:
          - { name: r, match: { path: "/x/{id}", methods: [GET], host: "*.example.com" }, upstream: a, timeout: 2s }
        """
        .formatted(token, up.url());
  }

  @Test
  void aTokenIsRequiredWhenSetAndComparedExactly() throws Exception {
    try (Upstream up = new Upstream("a");
        RunningGateway gw = RunningGateway.start(config(up, TOKEN))) {
      var none = TestSupport.get(gw.adminUrl("/health/ready"));
      assertThat(none.statusCode()).isEqualTo(401);
      assertThat(none.headers().firstValue("Content-Type")).hasValue("application/problem+json");
      assertThat(none.body()).doesNotContain(TOKEN);
      assertThat(
              TestSupport.get(gw.adminUrl("/routes"), "Authorization", "Bearer " + TOKEN + "x")
                  .statusCode())
          .isEqualTo(401);
      assertThat(
              TestSupport.get(
                      gw.adminUrl("/routes"), "Authorization", "Bearer " + TOKEN.substring(1))
                  .statusCode())
          .isEqualTo(401);
      var ok = TestSupport.get(gw.adminUrl("/health/live"), "Authorization", "Bearer " + TOKEN);
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(ok.body()).getString("status")).isEqualTo("UP");
    }
  }

  @Test
  void readyAndRoutesDescribeTheRunningConfig() throws Exception {
    try (Upstream up = new Upstream("a");
        RunningGateway gw = RunningGateway.start(config(up, ""))) {
      var ready = TestSupport.get(gw.adminUrl("/health/ready"));
      assertThat(ready.statusCode()).isEqualTo(200);
      JsonObject r = new JsonObject(ready.body());
      assertThat(r.getString("status")).isEqualTo("UP");
      JsonObject comps = r.getJsonObject("components");
      assertThat(comps.getJsonObject("dataListener").getString("status")).isEqualTo("UP");
      assertThat(comps.getJsonObject("config").getJsonObject("details").getInteger("routes"))
          .isEqualTo(1);
      var targets =
          comps
              .getJsonObject("upstreams")
              .getJsonObject("components")
              .getJsonObject("a")
              .getJsonObject("details")
              .getJsonArray("targets");
      assertThat(targets.size()).isEqualTo(2);
      assertThat(targets.getJsonObject(0).getString("target")).isEqualTo("127.0.0.1:" + up.port);
      JsonObject routes = new JsonObject(TestSupport.get(gw.adminUrl("/routes")).body());
      JsonObject route = routes.getJsonArray("routes").getJsonObject(0);
      assertThat(route.getString("name")).isEqualTo("r");
      assertThat(route.getString("path")).isEqualTo("/x/{id}");
      assertThat(route.getString("host")).isEqualTo("*.example.com");
      assertThat(route.getLong("timeoutMs")).isEqualTo(2000L);
      // read-only
      assertThat(TestSupport.send("POST", gw.adminUrl("/routes"), "{}").statusCode())
          .isEqualTo(405);
      // never on the data port
      assertThat(TestSupport.get(gw.url("/routes")).statusCode()).isEqualTo(404);
      assertThat(TestSupport.get(gw.url("/health/ready")).statusCode()).isEqualTo(404);
    }
  }
}
