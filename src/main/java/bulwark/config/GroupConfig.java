package bulwark.config;

import java.util.List;

public record GroupConfig(
    @Doc(
            "Name of the group. Optional in a file; in etcd it is the name in the group's key (<prefix>/groups/<name>), and a name written in the value must equal it.")
        String name,
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
    @Doc("Nested groups.") List<GroupConfig> groups) {

  /** A group without a name (as in a config file). */
  public GroupConfig(
      String prefix,
      boolean stripPrefix,
      List<String> middlewares,
      List<RouteConfig> routes,
      List<GroupConfig> groups) {
    this(null, prefix, stripPrefix, middlewares, routes, groups);
  }
}
