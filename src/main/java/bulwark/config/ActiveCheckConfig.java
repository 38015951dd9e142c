package bulwark.config;

import java.time.Duration;
import java.util.List;

public record ActiveCheckConfig(
    @Doc(
            value = "http sends GET path and checks the status; tcp only opens a connection.",
            dflt = "http")
        HealthCheckType type,
    @Doc(
            value =
                "Path of the HTTP check. A JSON answer may report resource signals (cpu, memory between 0 and 1) and dependencies (a mapping of names to UP/DOWN) for the score.",
            dflt = "/health")
        String path,
    @Doc(value = "Statuses that pass the HTTP check. Empty: any 2xx or 3xx.")
        List<Integer> statuses,
    @Doc("Host header of the HTTP check. Empty: the target's host:port.") String host,
    @Doc(value = "Time between two checks of one target.", unit = "duration", dflt = "5s")
        Duration interval,
    @Doc(
            value =
                "Random spread added to each interval, as a share of it, so checks do not align.",
            unit = "percent",
            dflt = "10%")
        Percent jitter,
    @Doc(value = "A check that has not answered by then fails.", unit = "duration", dflt = "1s")
        Duration timeout,
    @Doc(value = "Consecutive passes that bring a DOWN (or UNKNOWN) target UP.", dflt = "2")
        int healthyThreshold,
    @Doc(value = "Consecutive failures that take an UP (or UNKNOWN) target DOWN.", dflt = "3")
        int unhealthyThreshold) {}
