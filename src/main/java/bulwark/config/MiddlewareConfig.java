package bulwark.config;

import com.fasterxml.jackson.databind.JsonNode;

/** Exactly one type key must be set. */
public record MiddlewareConfig(
    @Doc("Set, add or remove request and response headers.") HeadersConfig headers,
    @Doc(value = "Token-bucket rate limit.", later = "resilience") JsonNode rateLimit,
    @Doc(value = "JWT authentication.", later = "security") JsonNode jwt) {}
