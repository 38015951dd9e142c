package bulwark.config;

import java.util.List;

/** Alertmanager webhook (admin POST /alerts) to automatic, expiring actions; see docs/observability-remediation.md. */
public record RemediationConfig(
    @Doc(value = "Alert-to-action rules. Every rule whose alert and labels match a firing alert acts.", dflt = "[]") List<RemediationRuleConfig> rules) {}
