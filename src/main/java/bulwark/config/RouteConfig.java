package bulwark.config;

import java.time.Duration;
import java.util.List;

public record RouteConfig(
    @Doc(value = "Unique name of the route, used in logs and the admin API.", required = true)
        String name,
    @Doc(value = "What a request must look like to take this route.", required = true)
        MatchConfig match,
    @Doc(
            "API version this route serves, chosen by the Accept header (needs the versioning section).")
        String version,
    @Doc(value = "Name of the upstream to forward to.", required = true) String upstream,
    @Doc("Names of middlewares, applied after those of enclosing groups.") List<String> middlewares,
    @Doc(
            value =
                "Total time for the request, including the upstream response head. Over it: 504 problem+json. Empty: only the upstream timeouts apply.",
            unit = "duration")
        Duration timeout,
    @Doc(
            "Path sent upstream instead of the request path; {param} placeholders from match.path are substituted. The query string is kept.")
        String rewrite,
    @Doc(
            value =
                "Let the upstream's retry policy retry non-idempotent methods (POST, PATCH) on this route too.",
            dflt = "false")
        boolean retryNonIdempotent,
    @Doc(
            value =
                "What this route answers while its upstream's circuit breaker is open. Absent: 503 problem+json with Retry-After.",
            section = true)
        FallbackConfig fallback) {}
