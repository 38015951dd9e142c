package bulwark.config;

public record ObservabilityConfig(
    @Doc(
            value =
                "The application log's format (the access log is always ECS JSON). json: one ECS JSON line per event, for files, pipes and Filebeat. text: one readable line per event, local time, level, thread, logger and message; a message of several lines (a rejected reload's errors) and a stack trace follow on indented lines. auto: text when the log goes to stderr and the process runs on a terminal (System.console() is a terminal and stderr is one too), else json.",
            dflt = "auto")
        LogFormat logFormat,
    @Doc("One ECS JSON line per request.") AccessLogConfig accessLog,
    @Doc("Prometheus metrics at admin /metrics.") MetricsConfig metrics,
    @Doc(
            "OpenTelemetry tracing: W3C trace context, a span per request and per upstream try, OTLP export.")
        TracingConfig tracing,
    @Doc(
            value =
                "The audit log: reloads, admin calls, authentication failures, breaker openings, rate-limit bursts; to a JSON-lines file and/or Kafka.",
            section = true)
        AuditConfig audit) {}
