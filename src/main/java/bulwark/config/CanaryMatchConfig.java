package bulwark.config;

import java.util.Map;

/**
 * The predicates of a canary rule: all must hold. A value is matched exactly, or, written
 * regex:EXPR, must match EXPR as a whole (as in routes[].match.headers).
 */
public record CanaryMatchConfig(
    @Doc(
            "Request headers that must be present with this value (exact, or regex:EXPR matched as a whole).")
        Map<String, String> headers,
    @Doc("Cookies that must be present with this value (exact, or regex:EXPR).")
        Map<String, String> cookies,
    @Doc("Query parameters that must be present with this value (exact, or regex:EXPR).")
        Map<String, String> query) {}
