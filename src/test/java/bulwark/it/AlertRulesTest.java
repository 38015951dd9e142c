package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * deploy/prometheus/alerts.yml passes `promtool check rules`, its unit tests (synthetic series in
 * deploy/prometheus/tests) pass `promtool test rules`, and every Grafana panel's query is valid
 * PromQL. DashboardIT checks the metric names against a live scrape.
 */
class AlertRulesTest {
  static final Path ALERTS = Path.of("deploy/prometheus/alerts.yml");
  static final Path DASHBOARD = Path.of("deploy/grafana/bulwark-dashboard.json");

  @Test
  void theAlertRulesAreValid() throws Exception {
    Promtool.Result r = Promtool.run(null, "check", "rules", ALERTS.toString());
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("SUCCESS: 9 rules found");
  }

  @Test
  void theAlertUnitTestsPass() throws Exception {
    Promtool.Result r =
        Promtool.run(null, "test", "rules", "deploy/prometheus/tests/alerts_test.yml");
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("SUCCESS");
  }

  @Test
  void theIssueNamesAreAllAlerted() throws Exception {
    Set<String> names = new TreeSet<>();
    for (JsonNode g : new YAMLMapper().readTree(ALERTS.toFile()).get("groups")) {
      for (JsonNode rule : g.get("rules")) names.add(rule.get("alert").asText());
    }
    assertThat(names)
        .contains(
            "BulwarkHigh5xxRatio",
            "BulwarkCanaryErrorRateHigh",
            "HighRequestLatency",
            "BulwarkCircuitBreakerOpen",
            "BulwarkUpstreamAllTargetsDown",
            "BulwarkRateLimitSaturated",
            "BulwarkConfigReloadFailed",
            "BulwarkInstanceDown");
    JsonNode latency = null;
    for (JsonNode g : new YAMLMapper().readTree(ALERTS.toFile()).get("groups")) {
      for (JsonNode rule : g.get("rules"))
        if (rule.get("alert").asText().equals("HighRequestLatency")) latency = rule;
    }
    assertThat(latency.get("for").asText()).isEqualTo("2m");
    // every alert test file case names an alert that exists (a renamed alert would silently test
    // nothing)
    JsonNode tests =
        new YAMLMapper().readTree(Path.of("deploy/prometheus/tests/alerts_test.yml").toFile());
    Set<String> tested = new TreeSet<>();
    for (JsonNode t : tests.get("tests"))
      for (JsonNode a : t.get("alert_rule_test")) tested.add(a.get("alertname").asText());
    assertThat(tested).isEqualTo(names);
  }

  @Test
  void everyDashboardQueryIsValidPromQL() throws Exception {
    List<String> exprs = dashboardExpressions();
    assertThat(exprs).hasSizeGreaterThan(30);
    // promtool has no expression checker of its own: each query becomes a recording rule
    StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
    for (int i = 0; i < exprs.size(); i++) {
      rules
          .append("      - record: dashboard:query_")
          .append(i)
          .append("\n        expr: ")
          .append(new ObjectMapper().writeValueAsString(exprs.get(i)))
          .append('\n');
    }
    Path file = Files.createTempFile("dashboard-rules", ".yml");
    Files.writeString(file, rules);
    Promtool.Result r = Promtool.run(null, "check", "rules", file.toString());
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("SUCCESS: " + exprs.size() + " rules found");
  }

  /**
   * Every panel query (and template query) with Grafana's variables replaced by concrete values.
   */
  static List<String> dashboardExpressions() throws Exception {
    JsonNode d = new ObjectMapper().readTree(DASHBOARD.toFile());
    List<String> out = new ArrayList<>();
    for (JsonNode p : d.get("panels")) {
      if (p.get("type").asText().equals("row")) continue;
      assertThat(p.get("targets")).as("panel %s has queries", p.get("title")).isNotEmpty();
      for (JsonNode t : p.get("targets")) out.add(concrete(t.get("expr").asText()));
    }
    return out;
  }

  static String concrete(String expr) {
    return expr.replace("$__rate_interval", "1m")
        .replace("$__range", "1h")
        .replace("$job", "bulwark")
        .replace("$instance", ".*");
  }
}
