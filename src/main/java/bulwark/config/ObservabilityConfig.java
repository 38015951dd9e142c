package bulwark.config;

import com.fasterxml.jackson.databind.JsonNode;

public record ObservabilityConfig(
    @Doc("One ECS JSON line per request.") AccessLogConfig accessLog,
    @Doc(value = "Prometheus metrics at admin /metrics.", later = "observability") JsonNode metrics,
    @Doc(value = "OpenTelemetry tracing.", later = "observability") JsonNode tracing) {}
