package bulwark.config;

import java.util.List;

/**
 * Alertmanager webhook (admin POST /alerts) to automatic, expiring actions; see
 * docs/observability-remediation.md.
 */
public record RemediationConfig(
    @Doc(
            value =
                "Alert-to-action rules. Every rule whose alert and labels match a firing alert acts.",
            dflt = "[]")
        List<RemediationRuleConfig> rules,
    @Doc(
            value =
                "Bearer token that POST /alerts requires (Alertmanager's http_config.authorization.credentials); the admin token is not accepted there. Required, at least 32 characters, whenever rules is not empty; without it every POST /alerts gets 401. Never logged. To take it from the environment, write webhookToken: \"${BULWARK_WEBHOOK_TOKEN}\".",
            dflt = "")
        String webhookToken) {

  /** Never prints the token (a record's own toString would). */
  @Override
  public String toString() {
    return "RemediationConfig[rules="
        + rules
        + ", webhookToken="
        + AdminConfig.redacted(webhookToken)
        + "]";
  }
}
