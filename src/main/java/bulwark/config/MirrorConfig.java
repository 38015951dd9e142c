package bulwark.config;

/**
 * A route's traffic mirror (routes[].mirror): a sampled copy of its requests goes to another
 * upstream, fire-and-forget; the client's answer comes from the route's own upstream only.
 */
public record MirrorConfig(
    @Doc(
            value =
                "Name of the upstream that gets the copies (a key of upstreams). It must not serve the route itself: not its upstream, one of its backends or a canary rule's upstream. Its targets, balancer, connection pool and timeouts are used; its retries, circuit breaker, overload caps and passive health checks are not.",
            required = true)
        String upstream,
    @Doc(
            value =
                "Share of the route's requests that are copied, drawn at random per request. Only requests that reach the route's upstream are copied (not the ones a middleware, the circuit breaker or an overload cap answered), and never a WebSocket upgrade.",
            unit = "percent",
            dflt = "100%")
        Percent percent,
    @Doc(
            value =
                "Largest request body copied. A request whose Content-Length is larger is not copied; a body without one is copied as it streams and, once it grows past this, the copy is abandoned (its request reset). Either way the route's own request gets the whole body. Dropped copies count as bulwark_mirror_dropped_total{reason=\"body_too_large\"}. 0: only requests without a body are copied.",
            unit = "size",
            dflt = "1MiB")
        ByteSize maxBody,
    @Doc(
            value =
                "Copies in flight to the mirror upstream at most, over every event loop (from the copy's start to the end of its response). The count is the mirror upstream's, shared by every route that mirrors to it; each route compares it with its own maxInFlight. Past it a copy is dropped and counted as bulwark_mirror_dropped_total{reason=\"cap\"}. At least 1.",
            dflt = "100")
        int maxInFlight) {}
