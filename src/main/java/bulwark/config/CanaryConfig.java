package bulwark.config;

/**
 * A canary rule of a route (routes[].canary): a request that matches goes to the named upstream,
 * before the weights are asked.
 */
public record CanaryConfig(
    @Doc(
            value =
                "What the request must carry: every header, cookie and query parameter listed must be present with this value.",
            required = true)
        CanaryMatchConfig match,
    @Doc(
            value =
                "Name of the upstream a matching request goes to (any upstream; it need not be one of backends).",
            required = true)
        String upstream) {}
