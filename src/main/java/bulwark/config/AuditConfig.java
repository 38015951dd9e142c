package bulwark.config;

public record AuditConfig(
    @Doc(
            "Append audit events to this JSON-lines file (one JSON object a line). Its directory must exist.")
        String file,
    @Doc(value = "Send audit events to Kafka.", section = true) AuditKafkaConfig kafka,
    @Doc(
            value =
                "A rate-limit burst worth auditing: when one rateLimit middleware refuses more than COUNT requests of one route within the PERIOD (the window starts at the first refusal), one ratelimit.burst event is written for that window.",
            unit = "rate",
            dflt = "100/min")
        Rate rateLimitBurst,
    @Doc(
            value =
                "Events held between the gateway and the audit thread (rounded up to a power of two), and again for each sink while it writes. Past it new events are dropped and counted (bulwark_audit_events_dropped_total); the gateway never waits for a sink.",
            dflt = "10000")
        int queueSize) {}
