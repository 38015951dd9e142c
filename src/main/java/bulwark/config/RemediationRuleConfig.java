package bulwark.config;

import java.time.Duration;
import java.util.Map;

public record RemediationRuleConfig(
    @Doc(value = "The alertname this rule answers.", required = true) String alert,
    @Doc("Further label values the alert must carry.") Map<String, String> labels,
    @Doc(value = "ejectTarget, tightenRateLimit, openBreaker or useFallback.", required = true) String action,
    @Doc(value = "The action is undone after this long, or when the alert resolves, whichever comes first.", unit = "duration", dflt = "5m") Duration expireAfter) {}
