package bulwark.config;

import java.time.Duration;

/** A Resilience4j circuit breaker. 4xx answers count as successes. */
public record CircuitBreakerConfig(
    @Doc(
            value =
                "The breaker opens when this share of the calls in the window failed (connect failure, reset, timeout, 5xx).",
            unit = "percent",
            dflt = "50%")
        Percent failureRateThreshold,
    @Doc(value = "A call slower than this is a slow call.", unit = "duration", dflt = "60s")
        Duration slowCallThreshold,
    @Doc(
            value = "The breaker opens when this share of the calls in the window was slow.",
            unit = "percent",
            dflt = "100%")
        Percent slowCallRateThreshold,
    @Doc(
            value =
                "count: the window is the last `window` calls; time: the calls of the last `window` seconds.",
            dflt = "count")
        WindowType windowType,
    @Doc(
            value =
                "Size of the sliding window: calls (windowType count) or seconds (windowType time).",
            dflt = "100")
        int window,
    @Doc(value = "Calls the window must hold before rates are computed.", dflt = "20")
        int minimumCalls,
    @Doc(
            value =
                "How long the breaker stays open before it lets probe calls through (half-open).",
            unit = "duration",
            dflt = "10s")
        Duration openFor,
    @Doc(value = "Probe calls let through while half-open.", dflt = "5") int halfOpenCalls,
    @Doc(
            value =
                "Longest stay in half-open: a probe that hangs cannot pin the breaker there; past it the breaker opens again.",
            unit = "duration",
            dflt = "10s")
        Duration maxHalfOpenWait,
    @Doc(
            value =
                "upstream: one breaker for the upstream; route: one per route that uses the upstream.",
            dflt = "upstream")
        BreakerScope scope) {}
