package bulwark.server;

import bulwark.config.BulwarkConfig;
import bulwark.config.ConfigError;
import bulwark.fleet.EtcdClient;
import bulwark.fleet.ResourceLayout;
import bulwark.observe.ConfigSync;
import bulwark.observe.Telemetry;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the etcd config source stands, for readiness, {@code GET /cluster}, the metrics and the
 * node's key: the revision served, when etcd last answered, the change refused last and the last
 * error reaching etcd. Each outcome goes to the telemetry as a {@link ConfigSync} and makes the
 * {@link NodeRegistration} put the node's value again. Written on the source's thread, read from
 * any.
 */
final class SyncStatus {
  private static final Logger LOG = LoggerFactory.getLogger(SyncStatus.class);
  static final String SOURCE = "etcd";

  private final Supplier<Telemetry> telemetry;
  private volatile long served;
  private volatile Instant lastSync;
  private volatile String refusal;
  private volatile long refusedRevision;
  private volatile String connectionError;
  private volatile String nodeId;
  private volatile NodeRegistration registration;

  SyncStatus(Supplier<Telemetry> telemetry) {
    this.telemetry = telemetry;
  }

  /** The etcd revision of the config served. */
  long served() {
    return served;
  }

  /** The config of {@code revision} was read at start, from etcd or (with an error) the cache. */
  void started(long revision, String error) {
    served = revision;
    connectionError = error;
    if (error == null) lastSync = Instant.now();
  }

  /** The first sync for the telemetry: the read at start (which came before the telemetry). */
  void reportStart() {
    String e = connectionError;
    telemetry
        .get()
        .configSynced(
            e == null
                ? sync(ConfigSync.Result.APPLIED, served, List.of())
                : sync(ConfigSync.Result.ERROR, served, List.of(e)));
  }

  /** etcd answered (a read, a batch, a watch created): any error reaching it is over. */
  void answered() {
    lastSync = Instant.now();
    if (connectionError == null) return;
    connectionError = null;
    nodeChanged();
  }

  /** {@code sync} was applied (or left the config as it was): nothing is refused any more. */
  void applied(ConfigSync sync) {
    served = sync.served();
    refusal = null;
    telemetry.get().configSynced(sync);
    nodeChanged();
  }

  /**
   * The change of {@code revision} was refused for {@code errors}: the config of {@link #served()}
   * keeps serving. The errors whose path starts with {@code keyPrefix} name the etcd keys.
   *
   * @return the sync reported
   */
  ConfigSync refused(long revision, List<ConfigError> errors, String keyPrefix) {
    List<String> keys =
        keyPrefix.isEmpty()
            ? List.of()
            : errors.stream()
                .map(ConfigError::path)
                .filter(p -> p.startsWith(keyPrefix))
                .distinct()
                .sorted()
                .toList();
    List<String> texts = errors.stream().map(Object::toString).toList();
    ConfigSync sync =
        new ConfigSync(SOURCE, ConfigSync.Result.REFUSED, revision, served, keys, texts);
    refusal = String.join("; ", texts);
    refusedRevision = revision;
    telemetry.get().configSynced(sync);
    nodeChanged();
    return sync;
  }

  /** etcd could not be reached or the watch ended: kept until it answers again. */
  void unreachable(String why) {
    connectionError = why;
    telemetry.get().configSynced(sync(ConfigSync.Result.ERROR, served, List.of(why)));
    nodeChanged();
  }

  /** A sync of {@code revision} that serves {@link #served()} after it, naming no key. */
  ConfigSync sync(ConfigSync.Result result, long revision, List<String> errors) {
    return new ConfigSync(SOURCE, result, revision, served, List.of(), errors);
  }

  Instant lastSync() {
    return lastSync;
  }

  /** The last error reaching etcd while it lasts, else the errors of the change refused. */
  String lastError() {
    String c = connectionError;
    return c != null ? c : refusal;
  }

  long refusedRevision() {
    return refusal == null ? 0 : refusedRevision;
  }

  String nodeId() {
    return nodeId;
  }

  /**
   * Registers this gateway under {@code <prefix>/nodes/<id>} and keeps it there; the id is
   * configSource.etcd.nodeId, else this host's name and the data port.
   */
  void register(
      EtcdClient client,
      ResourceLayout layout,
      BulwarkConfig bootstrap,
      int dataPort,
      int adminPort,
      Supplier<String> source) {
    String id = bootstrap.configSource().etcd().nodeId();
    if (id == null || id.isBlank()) id = NodeRegistration.hostName() + ":" + dataPort;
    String data = NodeRegistration.address(bootstrap.server().listen(), dataPort);
    String admin = NodeRegistration.address(bootstrap.admin().listen(), adminPort);
    Instant started = Instant.now();
    String v = SyncStatus.class.getPackage().getImplementationVersion();
    String version = v == null ? "dev" : v;
    nodeId = id;
    registration =
        new NodeRegistration(
            client,
            layout.nodeKey(id),
            () -> nodeValue(data, admin, source.get(), started, version));
    registration.start();
  }

  /** Revokes the node's key, waiting at most {@code waitMillis} for etcd. */
  void deregister(long waitMillis) {
    NodeRegistration reg = registration;
    if (reg == null) return;
    try {
      reg.stop().toCompletionStage().toCompletableFuture().get(waitMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // the lease expires anyway
      LOG.debug("the node key {} was not revoked: {}", reg.key(), e.toString());
    }
  }

  /** The node's value under {@code <prefix>/nodes/<id>}, as JSON. */
  String nodeValue(
      String address, String adminAddress, String source, Instant startedAt, String version) {
    Instant sync = lastSync;
    long refused = refusedRevision();
    return new JsonObject()
        .put("id", nodeId)
        .put("address", address)
        .put("adminAddress", adminAddress)
        .put("revision", served)
        .put("source", source)
        .put("lastSync", sync == null ? null : sync.toString())
        .put("lastError", lastError())
        .put("refusedRevision", refused == 0 ? null : refused)
        .put("startedAt", startedAt.toString())
        .put("version", version)
        .encode();
  }

  private void nodeChanged() {
    NodeRegistration reg = registration;
    if (reg != null) reg.changed();
  }
}
