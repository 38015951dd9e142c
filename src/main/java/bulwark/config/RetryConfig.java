package bulwark.config;

import java.time.Duration;
import java.util.List;

/**
 * Retries toward one upstream. Only idempotent methods are retried unless the route sets
 * retryNonIdempotent; a connect failure (nothing sent) is always retried.
 */
public record RetryConfig(
    @Doc(
            value =
                "Tries in all, the first one included: 2 means one retry. Each retry goes to a target not tried yet.",
            dflt = "2")
        int attempts,
    @Doc(
            value =
                "What is retried: connect_failure, reset, timeout, response statuses such as 502, and/or gRPC statuses by name (unavailable, resource_exhausted, ... as in grpc/doc/statuscodes.md, lower case). A gRPC status is retried only from a trailers-only response (an error that is the whole response) to a gRPC method its route lists in grpc.safeMethods (or with retryNonIdempotent); it needs an HTTP/2 protocol.",
            unit = ConfigDocs.STRINGS_OR_STATUSES,
            dflt = "[connect_failure, reset, timeout]")
        List<RetryOn> on,
    @Doc(
            value =
                "Base of the full-jitter backoff: retry n waits a random time between 0 and min(maxBackoff, backoff * 2^(n-1)).",
            unit = "duration",
            dflt = "25ms")
        Duration backoff,
    @Doc(value = "Cap of the backoff.", unit = "duration", dflt = "250ms") Duration maxBackoff,
    @Doc(
            value =
                "Retry budget: retries may add at most this share of the requests of the last 10 seconds, on top of minRetriesPerSecond.",
            unit = "percent",
            dflt = "20%")
        Percent budget,
    @Doc(
            value =
                "Retries always allowed per second, whatever the budget, so that little traffic can still retry.",
            dflt = "10")
        int minRetriesPerSecond,
    @Doc(
            value =
                "Time to the response head for each try. Empty: the upstream's response timeout. The route timeout still bounds the whole request.",
            unit = "duration")
        Duration perTryTimeout,
    @Doc(
            value =
                "A request body is kept for replay only up to this size; a larger body is not retried (unless nothing was sent).",
            unit = "size",
            dflt = "64KiB")
        ByteSize maxBufferedBody) {}
