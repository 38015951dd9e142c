package bulwark.config;

import java.util.List;

/** Alertmanager webhook (admin POST /alerts) to automatic, expiring actions. */
public record RemediationConfig(
    @Doc(value = "Alert-to-action rules, tried in order; every matching rule acts.", dflt = "[]") List<RemediationRuleConfig> rules) {}
