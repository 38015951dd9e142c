package bulwark.config;

/** Exactly one type key must be set. */
public record MiddlewareConfig(
    @Doc("Set, add or remove request and response headers.") HeadersConfig headers,
    @Doc("Token-bucket rate limit (Bucket4j), local or shared through Redis.")
        RateLimitConfig rateLimit,
    @Doc(
            "JWT bearer-token authentication (signed tokens verified against configured keys or a JWKS URL).")
        JwtConfig jwt,
    @Doc("OAuth 2.0 token introspection (RFC 7662) of opaque bearer tokens.")
        IntrospectionConfig introspection,
    @Doc("API keys from a header or query parameter, stored as SHA-256 hashes; sets the consumer.")
        ApiKeyConfig apiKey,
    @Doc("HTTP Basic authentication against bcrypt hashes; sets the consumer.")
        BasicAuthConfig basicAuth,
    @Doc("CORS: preflights answered at the gateway, Access-Control-* headers on responses.")
        CorsConfig cors,
    @Doc("Allow and deny lists of networks for the real client IP.") IpRulesConfig ipRules,
    @Doc(
            "Fault injection for chaos drills: sampled delays and aborts (docs/faults-and-redirects.md).")
        FaultConfig fault,
    @Doc(
            "A redirect answered at the gateway: scheme, host, port, path (docs/faults-and-redirects.md).")
        RedirectConfig redirect,
    @Doc(
            "Response compression (gzip, Brotli) by Accept-Encoding, streamed; optionally gzip request bodies inflated (docs/compression.md).")
        CompressionConfig compression) {}
