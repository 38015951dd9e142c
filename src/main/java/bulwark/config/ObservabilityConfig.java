package bulwark.config;

public record ObservabilityConfig(
    @Doc("One ECS JSON line per request.") AccessLogConfig accessLog,
    @Doc("Prometheus metrics at admin /metrics.") MetricsConfig metrics,
    @Doc("OpenTelemetry tracing: W3C trace context, a span per request and per upstream try, OTLP export.") TracingConfig tracing,
    @Doc(value = "The audit log: reloads, admin calls, authentication failures, breaker openings, rate-limit bursts; to a JSON-lines file and/or Kafka.", section = true) AuditConfig audit) {}
