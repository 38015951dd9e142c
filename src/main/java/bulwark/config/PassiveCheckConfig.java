package bulwark.config;

import java.time.Duration;

public record PassiveCheckConfig(
    @Doc(
            value =
                "Consecutive failed requests (connect failure, reset, timeout, 5xx, or a response cut after its head) that eject a target. A passing active check ends an ejection early.",
            dflt = "5")
        int consecutiveFailures,
    @Doc(
            value =
                "How long the first ejection lasts; the n-th consecutive ejection lasts n times as long, at most 10 times.",
            unit = "duration",
            dflt = "30s")
        Duration ejectFor,
    @Doc(
            value =
                "At most this share of the upstream's targets is ejected at once (rounded down, but at least one target when above 0%).",
            unit = "percent",
            dflt = "50%")
        Percent maxEjectedPercent) {}
