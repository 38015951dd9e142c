package bulwark.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Verifies a signed JWT (JWS) on each request. Keys come from exactly one of jwksUrl, keys or
 * keysFile. A route picks its policy by picking a middleware: scope and claim requirements are
 * fields of this section.
 */
public record JwtConfig(
    @Doc(
            value =
                "HTTPS or HTTP URL of a JWK set. Fetched asynchronously, cached, refreshed in the background and at once (at most every jwksMinRefresh) when a token names an unknown kid.")
        String jwksUrl,
    @Doc(
            "Inline keys: a JWK, a JWK set, or PEM public keys (RSA or EC). An HMAC key is a JWK of kty oct.")
        String keys,
    @Doc("A file read at load time holding keys in one of the forms of keys.") String keysFile,
    @Doc(
            value =
                "Signature algorithms accepted (RS256..RS512, PS256..PS512, ES256, ES384, ES512, HS256..HS512). none is never accepted; a key is used only for an algorithm of its own type.",
            required = true)
        List<String> algorithms,
    @Doc("Required iss claim value. Empty: not checked.") String issuer,
    @Doc("Required audience: the aud claim must be or contain it. Empty: not checked.")
        String audience,
    @Doc(
            value = "Tolerance for exp, nbf and iat against this gateway's clock.",
            unit = "duration",
            dflt = "30s")
        Duration clockSkew,
    @Doc(
            "Claims that must be present in every token (in addition to exp, which is always required).")
        List<String> requiredClaims,
    @Doc(value = AuthDocs.TOKEN, dflt = "header") String token,
    @Doc(AuthDocs.REQUIRE_SCOPES) List<String> requireScopes,
    @Doc(AuthDocs.USER_SCOPES) List<String> userScopes,
    @Doc(AuthDocs.CLIENT_SCOPES) List<String> clientScopes,
    @Doc(AuthDocs.REQUIRE_CLAIMS) Map<String, String> requireClaims,
    @Doc(value = AuthDocs.ALLOW, dflt = "[user, client]") List<String> allow,
    @Doc(value = AuthDocs.CLIENT_RULE, dflt = "auto") String clientRule,
    @Doc(AuthDocs.FORWARD_CLAIMS) Map<String, String> forwardClaims,
    @Doc(
            value = "jwksUrl: how often the key set is fetched again in the background.",
            unit = "duration",
            dflt = "5m")
        Duration jwksRefresh,
    @Doc(
            value = "jwksUrl: the shortest time between two fetches caused by unknown kids.",
            unit = "duration",
            dflt = "10s")
        Duration jwksMinRefresh,
    @Doc(
            value =
                "jwksUrl: while the endpoint fails, the last good keys keep serving for this long after their fetch; then tokens are refused with 503.",
            unit = "duration",
            dflt = "1h")
        Duration jwksMaxStale,
    @Doc(value = "jwksUrl: time allowed for one fetch.", unit = "duration", dflt = "5s")
        Duration jwksTimeout) {}
