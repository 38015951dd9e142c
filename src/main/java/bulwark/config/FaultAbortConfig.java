package bulwark.config;

/** fault.abort: how many requests are aborted, and with what status. */
public record FaultAbortConfig(
    @Doc(
            value =
                "Share of the eligible requests that are aborted, sampled per request (independently of the delay).",
            unit = "percent",
            dflt = "100%")
        Percent percent,
    @Doc(
            value = "The status of the gateway's answer, 200 to 599 (a problem+json body).",
            required = true)
        int status) {}
