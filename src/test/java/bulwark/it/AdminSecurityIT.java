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
        """
        .formatted(adminHost, token, up.url());
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
      assertThatThrownBy(
              () ->
                  new ConfigLoader(Map.of("PORT", "1", "ADMIN_PORT", "2")::get)
                      .parse(config(up, "0.0.0.0", "short")))
          .isInstanceOf(ConfigException.class);
      try (RunningGateway gw = RunningGateway.start(config(up, "0.0.0.0", TOKEN))) {
        assertThat(TestSupport.get(gw.adminUrl("/routes")).statusCode()).isEqualTo(401);
        assertThat(
                TestSupport.get(
                        gw.adminUrl("/routes"),
                        "Authorization",
                        "Bearer " + TOKEN.substring(1) + "x")
                    .statusCode())
            .isEqualTo(401);
        assertThat(
                TestSupport.get(gw.adminUrl("/routes"), "Authorization", "Bearer " + TOKEN + "x")
                    .statusCode())
            .isEqualTo(401);
        assertThat(
                TestSupport.get(gw.adminUrl("/routes"), "Authorization", "Bearer " + TOKEN)
                    .statusCode())
            .isEqualTo(200);
      }
    }
  }

  @Test
  void adminInputIsMatchedNeverEvaluated() throws Exception {
    try (Upstream up = new Upstream("a");
        RunningGateway gw = RunningGateway.start(config(up, "127.0.0.1", TOKEN))) {
      String[] auth = {
        "Authorization",
        "Bearer " + TOKEN,
        "X-Probe",
        "${jndi:ldap://127.0.0.1:1/x} #{7*7} ${7*7} {{7*7}}"
      };
      HttpResponse<String> r =
          TestSupport.get(gw.adminUrl("/routes?q=%24%7B7*7%7D&x=%23%7B7*7%7D"), auth);
      assertThat(r.statusCode()).isEqualTo(200);
      // the same answer as without the probes: nothing in them was looked at, let alone evaluated
      assertThat(r.body())
          .contains("\"all\"")
          .isEqualTo(
              TestSupport.get(gw.adminUrl("/routes"), "Authorization", "Bearer " + TOKEN).body());
      HttpResponse<String> nf = TestSupport.get(gw.adminUrl("/%24%7B7*7%7D"), auth);
      assertThat(nf.statusCode()).isEqualTo(404);
      assertThat(new io.vertx.core.json.JsonObject(nf.body()).getString("detail"))
          .isEqualTo("no admin endpoint /%24%7B7*7%7D");
      // read-only: no method changes anything
      assertThat(
              TestSupport.send("POST", gw.adminUrl("/routes"), "{\"routes\":[]}", auth)
                  .statusCode())
          .isEqualTo(405);
      assertThat(TestSupport.send("PUT", gw.adminUrl("/upstreams"), "x", auth).statusCode())
          .isEqualTo(405);
      assertThat(TestSupport.get(gw.url("/routes")).body()).doesNotContain("\"routes\"");
    }
  }

  /**
   * A gateway whose admin section is {@code admin} (listen is added) and whose remediation section
   * is {@code remediation}.
   */
  private static String configWith(Upstream up, String admin, String remediation) {
    return """
        server:
          listen: "127.0.0.1:${PORT}"
          shutdown: { gracePeriod: 1s }
        admin:
          listen: "127.0.0.1:${ADMIN_PORT}"
        %s
        observability:
          accessLog: { enabled: false }
        upstreams:
          a: { targets: [ { url: "%s" } ] }
        routes:
          - { name: all, match: { path: /** }, upstream: a }
        %s
        """
        .formatted(admin.indent(2).stripTrailing(), up.url(), remediation);
  }

  private static ItClients.RawResponse adminGet(RunningGateway gw, String path, String... headers)
      throws Exception {
    String[] lines = new String[headers.length + 2];
    lines[0] = "GET " + path + " HTTP/1.1";
    System.arraycopy(headers, 0, lines, 1, headers.length);
    lines[lines.length - 1] = "Connection: close";
    return ItClients.raw(gw.adminPort, lines);
  }

  @Test
  void withoutATokenOnlyRequestsForALoopbackHostOrAnAllowedOneAreAnswered() throws Exception {
    try (Upstream up = new Upstream("a");
        RunningGateway gw =
            RunningGateway.start(configWith(up, "allowedHosts: [bulwark-admin.internal]", ""))) {
      int p = gw.adminPort;
      // DNS rebinding: a page on rebind.attacker.example whose name now resolves to 127.0.0.1
      for (String host :
          new String[] {
            "rebind.attacker.example:" + p,
            "rebind.attacker.example",
            "localhost.attacker.example:" + p,
            "127.0.0.1.nip.io:" + p,
            "0x7f000001:" + p,
            "10.0.0.1:" + p
          }) {
        ItClients.RawResponse r = adminGet(gw, "/routes", "Host: " + host);
        assertThat(ItClients.assertProblem(r, 421).getString("detail"))
            .as(host)
            .contains("admin.allowedHosts");
        assertThat(r.body()).doesNotContain("\"all\"");
      }
      assertThat(adminGet(gw, "/health/live", "Host: rebind.attacker.example:" + p).status())
          .isEqualTo(421);
      // HTTP/1.0 without any Host
      assertThat(ItClients.raw(p, "GET /routes HTTP/1.0").status()).isEqualTo(421);
      for (String host :
          new String[] {
            "localhost:" + p,
            "LOCALHOST",
            "localhost.:" + p,
            "127.0.0.1:" + p,
            "127.1.2.3",
            "[::1]:" + p,
            "bulwark-admin.internal:" + p,
            "Bulwark-Admin.Internal"
          }) {
        ItClients.RawResponse r = adminGet(gw, "/routes", "Host: " + host);
        assertThat(r.status()).as(host).isEqualTo(200);
        assertThat(r.body()).contains("\"all\"");
      }
      // an absolute-form target names the host too: both must be loopback
      assertThat(
              ItClients.raw(
                      p,
                      "GET http://rebind.attacker.example:" + p + "/routes HTTP/1.1",
                      "Host: localhost:" + p,
                      "Connection: close")
                  .status())
          .isEqualTo(421);
      // what java.net.http sends (Host: 127.0.0.1:port) is served
      assertThat(TestSupport.get(gw.adminUrl("/routes")).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void withATokenTheHostIsNotWhatGuardsTheAdminApi() throws Exception {
    try (Upstream up = new Upstream("a");
        RunningGateway gw = RunningGateway.start(configWith(up, "token: \"" + TOKEN + "\"", ""))) {
      assertThat(adminGet(gw, "/routes", "Host: rebind.attacker.example").status()).isEqualTo(401);
      assertThat(
              adminGet(
                      gw,
                      "/routes",
                      "Host: rebind.attacker.example",
                      "Authorization: Bearer " + TOKEN)
                  .status())
          .isEqualTo(200);
    }
  }

  @Test
  void theReadTokenReadsEverythingAndActsOnNothing() throws Exception {
    String read = "read-only-token-0123456789abcdef-xyz";
    String hook = "webhook-token-0123456789abcdef-abcdef";
    String remediation =
        """
        remediation:
          webhookToken: "%s"
          rules: [ { alert: BulwarkTargetErrors, action: ejectTarget } ]
        """
            .formatted(hook);
    try (Upstream up = new Upstream("a");
        RunningGateway gw =
            RunningGateway.start(
                configWith(
                    up, "token: \"" + TOKEN + "\"\nreadToken: \"" + read + "\"", remediation))) {
      for (String path :
          new String[] {
            "/routes", "/upstreams", "/remediations", "/health/ready", "/health/live", "/metrics"
          }) {
        assertThat(
                TestSupport.get(gw.adminUrl(path), "Authorization", "Bearer " + read).statusCode())
            .as(path)
            .isEqualTo(200);
        assertThat(
                TestSupport.get(gw.adminUrl(path), "Authorization", "Bearer " + TOKEN).statusCode())
            .as(path)
            .isEqualTo(200);
        ItClients.assertProblem(TestSupport.get(gw.adminUrl(path)), 401);
        ItClients.assertProblem(
            TestSupport.get(gw.adminUrl(path), "Authorization", "Bearer " + read + "x"), 401);
        ItClients.assertProblem(
            TestSupport.get(gw.adminUrl(path), "Authorization", "Bearer " + hook), 401);
      }
      String alert =
          RemediationIT.notification(
                  "firing",
                  "0123456789abcdef",
                  Map.of("alertname", "BulwarkTargetErrors", "upstream", "a", "target", up.url()))
              .encode();
      for (String cred : new String[] {null, read, TOKEN}) {
        String[] h =
            cred == null
                ? new String[] {"Content-Type", "application/json"}
                : new String[] {
                  "Content-Type", "application/json", "Authorization", "Bearer " + cred
                };
        HttpResponse<String> r = TestSupport.send("POST", gw.adminUrl("/alerts"), alert, h);
        assertThat(ItClients.assertProblem(r, 401).getString("detail"))
            .contains("remediation.webhookToken");
      }
      assertThat(
              new io.vertx.core.json.JsonObject(
                      TestSupport.get(
                              gw.adminUrl("/remediations"), "Authorization", "Bearer " + read)
                          .body())
                  .getJsonArray("active"))
          .isEmpty();
      assertThat(TestSupport.get(gw.url("/x")).statusCode()).isEqualTo(200);
      // no other method on any endpoint
      assertThat(
              TestSupport.send(
                      "POST", gw.adminUrl("/routes"), "{}", "Authorization", "Bearer " + read)
                  .statusCode())
          .isEqualTo(405);
      assertThat(
              TestSupport.send(
                      "DELETE",
                      gw.adminUrl("/remediations"),
                      null,
                      "Authorization",
                      "Bearer " + TOKEN)
                  .statusCode())
          .isEqualTo(405);
      // the webhook token, and only it, acts
      HttpResponse<String> ok =
          TestSupport.send(
              "POST",
              gw.adminUrl("/alerts"),
              alert,
              "Content-Type",
              "application/json",
              "Authorization",
              "Bearer " + hook);
      assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
      assertThat(ok.body()).contains("ejectTarget");
    }
  }

  @Test
  void withoutAWebhookTokenPostAlertsIsOffForEveryone() throws Exception {
    // no remediation section, no admin token, loopback Host: the reads are open, /alerts is not
    try (Upstream up = new Upstream("a");
        RunningGateway gw = RunningGateway.start(configWith(up, "", ""))) {
      assertThat(TestSupport.get(gw.adminUrl("/routes")).statusCode()).isEqualTo(200);
      HttpResponse<String> r =
          TestSupport.send(
              "POST",
              gw.adminUrl("/alerts"),
              "{\"version\":\"4\",\"alerts\":[]}",
              "Content-Type",
              "application/json");
      assertThat(ItClients.assertProblem(r, 401).getString("detail"))
          .isEqualTo("POST /alerts is off: remediation.webhookToken is not set");
    }
  }
}
