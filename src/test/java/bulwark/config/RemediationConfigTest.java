package bulwark.config;

import static bulwark.config.ConfigTesting.errors;
import static bulwark.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Validation of remediation rules: every error, each with its path. */
class RemediationConfigTest {
  private static final String BASE =
      """
      upstreams:
        guarded: { targets: [ { url: "http://127.0.0.1:9001" } ], circuitBreaker: { openFor: 30s } }
        plain: { targets: [ { url: "http://127.0.0.1:9002" }, { url: "http://127.0.0.1:9003" } ] }
      middlewares:
        limited: { rateLimit: { rate: 100/min } }
        cors: { cors: { allowOrigins: ["https://app.example.com"] } }
      routes:
        - { name: withFallback, match: { path: /a }, upstream: plain, fallback: { status: 200, body: degraded } }
        - { name: bare, match: { path: /b }, upstream: plain }
      """;

  @Test
  void validRulesLoadWithTheirDefaults() throws Exception {
    BulwarkConfig c =
        load(
            BASE
                + """
        remediation:
          webhookToken: "webhook-token-for-the-tests-0123456789"
          rules:
            - { alert: TargetErrors, action: ejectTarget }
            - { alert: TargetErrors, labels: { severity: critical }, action: ejectTarget, upstream: plain, target: "127.0.0.1:9003" }
            - { alert: Hot, action: tightenRateLimit, middleware: limited, factor: 10%, expireAfter: 1h }
            - { alert: Broken, action: openBreaker, upstream: "{{ labels.service }}" }
            - { alert: Broken, action: useFallback, route: withFallback }
            - { alert: Broken2, action: ejectTarget, upstream: plain, target: "http://127.0.0.1:9002" }
        """);
    assertThat(c.remediation().rules()).hasSize(6);
    assertThat(c.remediation().rules().get(0).expireAfter()).isEqualTo(Duration.ofMinutes(5));
    assertThat(c.remediation().rules().get(2).factor().value()).isEqualTo(10);
  }

  @Test
  void everyBadRuleIsReportedWithItsPath() {
    assertThat(
            errors(
                BASE
                    + """
        remediation:
          webhookToken: "webhook-token-for-the-tests-0123456789"
          rules:
            - { alert: A, action: ejectTraget }
            - { alert: B, action: openBreaker, upstream: plain }
            - { alert: C, action: openBreaker, upstream: nope }
            - { alert: D, action: useFallback, route: bare }
            - { alert: E, action: useFallback, route: missing }
            - { alert: F, action: tightenRateLimit, middleware: cors, factor: 10% }
            - { alert: G, action: tightenRateLimit, middleware: limited }
            - { alert: H, action: ejectTarget, upstream: plain, target: "127.0.0.1:1" }
            - { alert: I, action: useFallback, route: withFallback, expireAfter: 25h, factor: 5% }
            - { alert: J, action: openBreaker, upstream: "{{ label.x }}", route: withFallback }
        """))
        .containsExactlyInAnyOrder(
            "remediation.rules[0].action: unknown action 'ejectTraget' (known: ejectTarget, tightenRateLimit, openBreaker, useFallback) (did you mean 'ejectTarget'?)",
            "remediation.rules[1].upstream: upstream 'plain' has no circuitBreaker to open",
            "remediation.rules[2].upstream: unknown upstream 'nope' (known: guarded, plain)",
            "remediation.rules[3].route: route 'bare' has no fallback to use",
            "remediation.rules[4].route: unknown route 'missing' (known: withFallback, bare)",
            "remediation.rules[5].middleware: middleware 'cors' is not a rateLimit",
            "remediation.rules[6].factor: tightenRateLimit needs a factor, e.g. 10%",
            "remediation.rules[7].target: upstream 'plain' has no target '127.0.0.1:1' (use host:port or the target's url)",
            "remediation.rules[8].expireAfter: must be at most 24h",
            "remediation.rules[8].factor: only tightenRateLimit takes a factor",
            "remediation.rules[9].upstream: '{{ label.x }}' is neither a name nor {{ labels.NAME }}",
            "remediation.rules[9].route: action openBreaker does not use route (it uses upstream)");
  }

  @Test
  void rulesNeedAStrongWebhookTokenThatNoOtherTokenShares() throws Exception {
    String rules =
        """
          rules:
            - { alert: TargetErrors, action: ejectTarget }
        """;
    assertThat(errors(BASE + "remediation:\n" + rules))
        .singleElement()
        .asString()
        .startsWith("remediation.webhookToken: required when remediation rules exist")
        .contains("webhookToken: \"${BULWARK_WEBHOOK_TOKEN}\"");
    assertThat(errors(BASE + "remediation:\n  webhookToken: short\n" + rules))
        .singleElement()
        .asString()
        .startsWith("remediation.webhookToken: too short when remediation rules exist");
    String same = "shared-token-0123456789abcdef-0123456789";
    assertThat(
            errors(
                "admin: { token: \""
                    + same
                    + "\" }\n"
                    + BASE
                    + "remediation:\n  webhookToken: \""
                    + same
                    + "\"\n"
                    + rules))
        .containsExactly("remediation.webhookToken: must differ from admin.token");
    // no rules: no token needed (POST /alerts then answers 401 to everyone)
    assertThat(load(BASE + "remediation: { rules: [] }\n").remediation().webhookToken()).isNull();
  }

  @Test
  void theWebhookTokenIsNeverPrinted() throws Exception {
    BulwarkConfig c =
        load(
            BASE
                + """
        remediation:
          webhookToken: "webhook-token-for-the-tests-0123456789"
          rules: [ { alert: TargetErrors, action: ejectTarget } ]
        """);
    assertThat(c.remediation().webhookToken()).isEqualTo("webhook-token-for-the-tests-0123456789");
    assertThat(c.toString()).doesNotContain("webhook-token-for-the-tests");
  }
}
