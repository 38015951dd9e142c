package bulwark.config;

import com.fasterxml.jackson.databind.JsonNode;

/** Exactly one type key must be set. */
public record MiddlewareConfig(
    @Doc("Set, add or remove request and response headers.") HeadersConfig headers,
    @Doc("Token-bucket rate limit (Bucket4j), local or shared through Redis.") RateLimitConfig rateLimit,
    @Doc(value = "JWT authentication.", later = "security") JsonNode jwt) {}
