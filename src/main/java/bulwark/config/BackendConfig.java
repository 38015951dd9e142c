package bulwark.config;

/** One upstream of a route's weighted split (routes[].backends). */
public record BackendConfig(
    @Doc(value = "Name of the upstream (a key of upstreams).", required = true) String upstream,
    @Doc(
            value =
                "Relative share of the route's requests, 0 to 1000. 0 keeps the backend defined but idle: it gets no share, and no failover traffic either (a canary rule may still name its upstream).",
            dflt = "1")
        int weight) {}
