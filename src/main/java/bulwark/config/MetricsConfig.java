package bulwark.config;

public record MetricsConfig(
    @Doc(value = "Serve Prometheus metrics at admin /metrics.", dflt = "true") boolean enabled) {}
