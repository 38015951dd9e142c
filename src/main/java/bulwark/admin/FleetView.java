package bulwark.admin;

import bulwark.config.BulwarkConfig;
import bulwark.fleet.EtcdClient;
import bulwark.fleet.ResourceLayout;

/**
 * What the admin API reads of the gateway's etcd side (configSource.type: etcd): the client the
 * config source watches with (one per process, shared by the /config write API and the node
 * registration), where the resources live, and the bootstrap config a routing model binds into. Any
 * thread.
 */
public interface FleetView {
  /** The process's etcd client. */
  EtcdClient etcd();

  /** The key layout under configSource.etcd.prefix. */
  ResourceLayout layout();

  /** The bootstrap file's config (server, admin, observability, cluster, configSource). */
  BulwarkConfig bootstrap();

  /** The etcd revision of the routing config served (0 before the first read from etcd). */
  long revision();
}
