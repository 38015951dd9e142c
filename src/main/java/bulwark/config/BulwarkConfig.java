package bulwark.config;

import java.util.List;
import java.util.Map;

/** The whole config file. Immutable; a reload builds a new one. */
public record BulwarkConfig(
    @Doc("The data listener: address, HTTP/2, trusted proxies, limits and shutdown.")
        ServerConfig server,
    @Doc("The admin listener (health, routes). Never reachable through the data listener.")
        AdminConfig admin,
    @Doc("Access log, metrics, tracing and the audit log.") ObservabilityConfig observability,
    @Doc(
            value =
                "Shared state for several gateway instances: one Redis or a Redis Cluster. Needed by cluster-scope rate limits.",
            section = true)
        ClusterConfig cluster,
    @Doc(
            value =
                "Where the routing configuration (upstreams, middlewares, routes, groups, versioning, remediation) comes from: this file (the default) or etcd.",
            section = true)
        ConfigSourceConfig configSource,
    @Doc("Named groups of targets that routes send requests to.")
        Map<String, UpstreamConfig> upstreams,
    @Doc("Named, reusable middlewares. Each has exactly one type key.")
        Map<String, MiddlewareConfig> middlewares,
    @Doc("API versioning chosen by the Accept header (application/vnd.VENDOR.VERSION+json).")
        VersioningConfig versioning,
    @Doc("Routes, tried by the precedence documented in docs/routing.md.") List<RouteConfig> routes,
    @Doc("Groups: a path prefix plus middlewares shared by their routes; may nest.")
        List<GroupConfig> groups,
    @Doc(
            value =
                "Automatic response to Prometheus alerts (Alertmanager webhook at admin POST /alerts).",
            section = true)
        RemediationConfig remediation) {

  /** This config with other upstreams (DNS discovery's targets filled in). */
  public BulwarkConfig withUpstreams(Map<String, UpstreamConfig> ups) {
    return new BulwarkConfig(
        server,
        admin,
        observability,
        cluster,
        configSource,
        ups,
        middlewares,
        versioning,
        routes,
        groups,
        remediation);
  }

  /** The sections that come from etcd when {@code configSource.type} is etcd, as in the file. */
  public static final List<String> ROUTING_SECTIONS =
      List.of("upstreams", "middlewares", "routes", "groups", "versioning", "remediation");

  /** A config without a configSource section: the routing configuration is in this file. */
  public BulwarkConfig(
      ServerConfig server,
      AdminConfig admin,
      ObservabilityConfig observability,
      ClusterConfig cluster,
      Map<String, UpstreamConfig> upstreams,
      Map<String, MiddlewareConfig> middlewares,
      VersioningConfig versioning,
      List<RouteConfig> routes,
      List<GroupConfig> groups,
      RemediationConfig remediation) {
    this(
        server,
        admin,
        observability,
        cluster,
        null,
        upstreams,
        middlewares,
        versioning,
        routes,
        groups,
        remediation);
  }

  /** True when the routing configuration comes from etcd (configSource.type: etcd). */
  public boolean etcdMode() {
    return configSource != null && configSource.etcdMode();
  }
}
