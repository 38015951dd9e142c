package bulwark.config;

/** Exactly one type key must be set. */
public record MiddlewareConfig(
    @Doc("Set, add or remove request and response headers.") HeadersConfig headers,
    @Doc("Token-bucket rate limit (Bucket4j), local or shared through Redis.") RateLimitConfig rateLimit,
    @Doc("JWT bearer-token authentication (signed tokens verified against configured keys or a JWKS URL).") JwtConfig jwt,
    @Doc("OAuth 2.0 token introspection (RFC 7662) of opaque bearer tokens.") IntrospectionConfig introspection) {}
