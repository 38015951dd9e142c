package bulwark.config;

import java.time.Duration;

/** fault.delay: how many requests are delayed, and for how long. */
public record FaultDelayConfig(
    @Doc(
            value = "Share of the eligible requests that are delayed, sampled per request.",
            unit = "percent",
            dflt = "100%")
        Percent percent,
    @Doc(value = "How long a delayed request waits.", unit = "duration", required = true)
        Duration duration) {}
