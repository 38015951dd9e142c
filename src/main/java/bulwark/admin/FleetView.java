package bulwark.admin;

import bulwark.config.BulwarkConfig;
import bulwark.fleet.EtcdClient;
import bulwark.fleet.ResourceLayout;
import java.time.Instant;

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

  /**
   * The etcd revision of the routing config served: that of the last change to a config key under
   * the prefix (node registrations are not config) that this gateway applied or read (0 before the
   * first read from etcd; the cache file's while serving it).
   */
  long revision();

  /** This instance's id under {@code <prefix>/nodes/}. */
  String nodeId();

  /**
   * When etcd last answered the config source: a read, a watch started or a batch of changes
   * (applied or refused); null before the first.
   */
  Instant lastSync();

  /**
   * Why the config served is not what etcd holds: the errors of the change refused last (with their
   * keys), or the last error reaching etcd; null when neither.
   */
  String lastError();

  /** The etcd revision of the change refused last, while it is refused; 0 when none is. */
  long refusedRevision();
}
