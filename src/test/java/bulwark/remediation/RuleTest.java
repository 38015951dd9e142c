package bulwark.remediation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import bulwark.config.Percent;
import bulwark.config.RemediationAction;
import bulwark.config.RemediationRuleConfig;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which alerts a rule answers, and how it names its object from their labels. */
class RuleTest {
  private static Rule rule(
      String alert,
      Map<String, String> labels,
      String action,
      String upstream,
      String target,
      String middleware,
      String factor) {
    return Rule.of(
        0,
        new RemediationRuleConfig(
            alert,
            labels,
            RemediationAction.of(action),
            upstream,
            target,
            null,
            middleware,
            factor == null ? null : Percent.parse(factor),
            null));
  }

  @Test
  void aRuleMatchesItsAlertnameAndEveryLabelItNames() {
    Rule r =
        rule("TargetErrors", Map.of("severity", "critical"), "ejectTarget", null, null, null, null);
    assertThat(
            r.matches(Map.of("alertname", "TargetErrors", "severity", "critical", "upstream", "u")))
        .isTrue();
    assertThat(r.matches(Map.of("alertname", "TargetErrors", "severity", "warning"))).isFalse();
    assertThat(r.matches(Map.of("alertname", "TargetErrors"))).isFalse();
    assertThat(r.matches(Map.of("alertname", "OtherAlert", "severity", "critical"))).isFalse();
    assertThat(
            rule("TargetErrors", null, "ejectTarget", null, null, null, null)
                .matches(Map.of("alertname", "TargetErrors")))
        .isTrue();
  }

  @Test
  void objectsAreFixedNamesLabelTemplatesOrTheLabelOfTheFieldsName() {
    Map<String, String> labels =
        Map.of(
            "alertname", "A", "upstream", "orders", "service", "billing", "target", "10.0.0.1:80");
    assertThat(rule("A", null, "ejectTarget", null, null, null, null).objectsFor(labels))
        .containsExactly(Map.entry("upstream", "orders"), Map.entry("target", "10.0.0.1:80"));
    assertThat(
            rule("A", null, "openBreaker", "{{ labels.service }}", null, null, null)
                .objectsFor(labels))
        .containsExactly(Map.entry("upstream", "billing"));
    assertThat(
            rule("A", null, "openBreaker", "{{labels.service}}", null, null, null)
                .objectsFor(labels))
        .containsExactly(Map.entry("upstream", "billing"));
    assertThat(rule("A", null, "openBreaker", "fixed", null, null, null).objectsFor(labels))
        .containsExactly(Map.entry("upstream", "fixed"));
    Rule tighten = rule("A", null, "tightenRateLimit", null, null, "per-ip", "10%");
    assertThat(tighten.objectsFor(labels)).containsExactly(Map.entry("middleware", "per-ip"));
    assertThat(tighten.factor()).isEqualTo(0.1);
    assertThat(tighten.expireAfter()).isEqualTo(Duration.ofMinutes(5));
    assertThatThrownBy(
            () -> rule("A", null, "tightenRateLimit", null, null, null, "10%").objectsFor(labels))
        .hasMessage(
            "middleware comes from the alert's label 'middleware', which the alert does not have");
  }

  @Test
  void anAlertIsKnownByItsFingerprintElseByItsSortedLabels() {
    Alert withFp =
        Alert.parse(
                new JsonObject(
                    """
        {"version":"4","alerts":[{"status":"firing","labels":{"alertname":"A","b":"2","a":"1"},"fingerprint":"f00d","startsAt":"2026-11-24T20:00:00Z"}]}"""))
            .get(0);
    assertThat(withFp.key()).isEqualTo("f00d");
    assertThat(withFp.firing()).isTrue();
    Alert without =
        Alert.parse(
                new JsonObject(
                    """
        {"alerts":[{"status":"resolved","labels":{"b":"2","alertname":"A","a":"1"}}]}"""))
            .get(0);
    assertThat(without.key()).isEqualTo("{a=1, alertname=A, b=2}");
    assertThat(without.firing()).isFalse();
  }

  @Test
  void aBadPayloadNamesEveryProblem() {
    assertThatThrownBy(
            () ->
                Alert.parse(
                    new JsonObject(
                        """
        {"version":"3","alerts":[{"status":"pending","labels":{"x":1}}, 5, {"status":"firing","labels":{"alertname":"A"},"fingerprint":7}]}""")))
        .hasMessage(
            "version: '3' is not a supported payload version (expected \"4\"); alerts[0].status: 'pending' is not firing or resolved; "
                + "alerts[0].labels.x: not a string; alerts[0].labels.alertname: missing; alerts[1]: not an object; alerts[2].fingerprint: not a string");
    assertThatThrownBy(() -> Alert.parse(new JsonObject("{\"receiver\":\"x\"}")))
        .hasMessage("alerts: missing");
  }
}
