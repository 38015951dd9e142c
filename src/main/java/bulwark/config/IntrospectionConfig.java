package bulwark.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** OAuth 2.0 token introspection (RFC 7662) of opaque bearer tokens. */
public record IntrospectionConfig(
    @Doc(value = "The introspection endpoint URL (HTTPS in production).", required = true)
        String endpoint,
    @Doc("Client id this gateway authenticates with at the endpoint (client_secret_basic).")
        String clientId,
    @Doc("Client secret for client_secret_basic; use ${ENV} substitution.") String clientSecret,
    @Doc(
            value =
                "Longest time an answer is cached. An active token is never cached past its exp.",
            unit = "duration",
            dflt = "5m")
        Duration cacheTtl,
    @Doc(
            value = "How long an inactive answer is cached (0: not cached).",
            unit = "duration",
            dflt = "10s")
        Duration inactiveCacheTtl,
    @Doc(
            value =
                "Most answers cached; past it, expired answers and then arbitrary ones are dropped.",
            dflt = "100000")
        int maxCacheEntries,
    @Doc(value = "Time allowed for one introspection call.", unit = "duration", dflt = "2s")
        Duration timeout,
    @Doc(
            value =
                "When the endpoint fails: closed refuses the request with 503, open lets it through without identity (no claims forwarded).",
            dflt = "closed")
        FailureMode onFailure,
    @Doc(value = AuthDocs.TOKEN, dflt = "header") String token,
    @Doc(AuthDocs.REQUIRE_SCOPES) List<String> requireScopes,
    @Doc(AuthDocs.USER_SCOPES) List<String> userScopes,
    @Doc(AuthDocs.CLIENT_SCOPES) List<String> clientScopes,
    @Doc(AuthDocs.REQUIRE_CLAIMS) Map<String, String> requireClaims,
    @Doc(value = AuthDocs.ALLOW, dflt = "[user, client]") List<String> allow,
    @Doc(value = AuthDocs.CLIENT_RULE, dflt = "auto") String clientRule,
    @Doc(AuthDocs.FORWARD_CLAIMS) Map<String, String> forwardClaims) {}
