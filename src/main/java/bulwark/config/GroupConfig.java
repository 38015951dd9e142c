package bulwark.config;

import java.util.List;

public record GroupConfig(
    @Doc(
            value = "Path prefix prepended to the paths of the routes and groups inside.",
            required = true)
        String prefix,
    @Doc(
            value =
                "Remove the prefix before forwarding: /api/v1/orders/7 reaches the upstream as /orders/7.",
            dflt = "false")
        boolean stripPrefix,
    @Doc("Middlewares applied to every route inside, before the route's own.")
        List<String> middlewares,
    @Doc("Routes in this group.") List<RouteConfig> routes,
    @Doc("Nested groups.") List<GroupConfig> groups) {}
