package bulwark.config;

/** A Bucket4j token bucket per key. Several rateLimit middlewares on one route stack. */
public record RateLimitConfig(
    @Doc(
            value =
                "What a bucket belongs to: client_ip, header:NAME (a missing header shares one bucket), route (one bucket for the route), consumer (the caller named by an auth middleware listed before this one on the route; no consumer: the client IP) or claim:NAME (a verified token claim; missing: the client IP).",
            dflt = "client_ip")
        RateLimitKeySpec key,
    @Doc(value = "Tokens added per period: the sustained rate.", unit = "rate", required = true)
        Rate rate,
    @Doc(
            value =
                "Bucket size: requests allowed at once after a quiet period. 0: the rate's count.",
            dflt = "0")
        int burst,
    @Doc(
            value =
                "local: buckets in this gateway's memory; cluster: buckets shared through Redis (needs the cluster section).",
            dflt = "local")
        RateLimitScope scope,
    @Doc(
            value =
                "scope cluster, when Redis fails or is slower than cluster.timeout: open lets the request through, closed refuses it with 503.",
            dflt = "open")
        FailureMode onRedisFailure,
    @Doc(
            value =
                "scope local: most keys kept; the least recently used are dropped past it. Idle keys expire once their bucket would be full again.",
            dflt = "1000000")
        int maxKeys) {}
