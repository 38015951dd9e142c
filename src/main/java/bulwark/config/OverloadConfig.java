package bulwark.config;

/** Envoy-style circuit-breaking thresholds for one upstream, over all event loops. */
public record OverloadConfig(
    @Doc(
            value =
                "Requests in flight to this upstream at most; past it, an immediate 503 problem+json. 0: no cap.",
            dflt = "10000")
        int maxInFlight,
    @Doc(
            value =
                "Requests waiting for a connection at most; past it, an immediate 503 problem+json. 0: no cap.",
            dflt = "1024")
        int maxPending,
    @Doc(
            value =
                "An adaptive concurrency limit that sheds load before latency explodes. Absent: off.",
            section = true)
        AdaptiveConcurrencyConfig adaptive) {}
