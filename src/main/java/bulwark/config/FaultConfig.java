package bulwark.config;

import java.time.Duration;

/**
 * Fault injection for chaos drills (Envoy's fault filter): a sampled share of the requests is
 * delayed, aborted, or both (delayed first, then aborted).
 */
public record FaultConfig(
    @Doc(
            value =
                "Delay a share of the requests before they go on (a timer: the event loop is never blocked). The route's timeout counts the delay: a delay that reaches it ends in the route's own 504.",
            section = true)
        FaultDelayConfig delay,
    @Doc(
            value =
                "Answer a share of the requests at the gateway with a problem+json of this status, instead of sending them upstream.",
            section = true)
        FaultAbortConfig abort,
    @Doc(
            value =
                "Only requests carrying this header (any value) are eligible for the sampled faults; every other request passes untouched. Absent: every request is eligible.",
            unit = "header name")
        String onlyWithHeader,
    @Doc(
            value =
                "Honour the X-Bulwark-Fault request header, which asks for one fault on that request, unsampled: 'abort=503', 'delay=200ms' or both, comma-separated. It replaces the configured faults for that request and is not sent upstream; a malformed value is answered 400. Off: the header is ignored (and passed on like any header). Turn it on only where clients are trusted (a test route, or behind an ipRules middleware).",
            dflt = "false")
        boolean allowRequestHeader,
    @Doc(
            value = "The longest delay X-Bulwark-Fault may ask for; a longer one is answered 400.",
            unit = "duration",
            dflt = "30s")
        Duration maxRequestDelay) {}
