package bulwark.config;

import java.time.Duration;

/** In the spirit of Netflix concurrency-limits. */
public record AdaptiveConcurrencyConfig(
    @Doc(
            value =
                "aimd: +1 per window without trouble, x0.9 on a timeout, a 5xx or a latency over the tolerance; gradient: limit follows minRTT/RTT.",
            dflt = "gradient")
        AdaptiveAlgorithm algorithm,
    @Doc(value = "The limit at start.", dflt = "20") int initialLimit,
    @Doc(value = "The limit never goes below this.", dflt = "4") int minLimit,
    @Doc(value = "The limit never goes above this.", dflt = "1000") int maxLimit,
    @Doc(value = "aimd: a call slower than this counts as trouble.", unit = "duration", dflt = "1s")
        Duration latencyThreshold) {}
