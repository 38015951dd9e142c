package bulwark.config;

/**
 * Health of the targets of one upstream: active probes, passive outlier detection and the score.
 */
public record HealthCheckConfig(
    @Doc(
            value =
                "Active checks: the gateway probes every target on a timer, off the request path. Absent: no probes.",
            section = true)
        ActiveCheckConfig active,
    @Doc(
            value =
                "Passive checks (outlier detection): failures of real requests eject a target for a while. Absent: no ejection.",
            section = true)
        PassiveCheckConfig passive,
    @Doc(
            "The weighted health score (0 to 100) that balancers weight traffic by; a target under the floor is drained.")
        ScoreConfig score,
    @Doc(
            value =
                "When no target is usable: false answers 503 problem+json at once; true spreads traffic over all targets anyway (Envoy's panic mode).",
            dflt = "false")
        boolean panic) {}
