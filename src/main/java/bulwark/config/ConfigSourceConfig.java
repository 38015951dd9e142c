package bulwark.config;

/** Where the routing configuration comes from: this file, or etcd. */
public record ConfigSourceConfig(
    @Doc(
            value =
                "file: upstreams, middlewares, routes, groups, versioning and remediation are read from this file. etcd: they are read from keys under etcd.prefix and watched (docs/cluster.md); this file then holds only server, admin, observability, cluster and configSource, and a routing section in it is an error.",
            dflt = "file")
        ConfigSourceType type,
    @Doc(value = "The etcd cluster that holds the routing configuration (needed by type: etcd).")
        EtcdConfig etcd) {

  /** True when the routing configuration comes from etcd. */
  public boolean etcdMode() {
    return type == ConfigSourceType.ETCD;
  }
}
