package bulwark.config;

import java.time.Duration;

public record TimeoutsConfig(
    @Doc(
            value =
                "Time to open a connection to a target. Over it: 504 problem+json (a refused connection is 502).",
            unit = "duration",
            dflt = "1s")
        Duration connect,
    @Doc(
            value =
                "Time from the end of the request (its last body byte) to the response head. Over it: 504 problem+json.",
            unit = "duration",
            dflt = "15s")
        Duration response,
    @Doc(
            value = "A pooled upstream connection idle this long is closed.",
            unit = "duration",
            dflt = "60s")
        Duration idle) {}
