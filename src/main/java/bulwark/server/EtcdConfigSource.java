package bulwark.server;

import bulwark.admin.FleetView;
import bulwark.config.BulwarkConfig;
import bulwark.config.ConfigError;
import bulwark.config.ConfigException;
import bulwark.fleet.EtcdClient;
import bulwark.fleet.EtcdStreams;
import bulwark.fleet.KeyValue;
import bulwark.fleet.RangeResult;
import bulwark.fleet.ResourceLayout;
import bulwark.fleet.RoutingModel;
import bulwark.fleet.WatchEvent;
import bulwark.fleet.WatchListener;
import bulwark.observe.ConfigSync;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routing config in etcd (configSource.type: etcd): at start, every key under the prefix read
 * at one revision and bound into the bootstrap file's config; then one watch from the revision
 * after it. Each batch of changes updates the model, is validated off the client's event loop and
 * published as a reload is ({@link ConfigReloader#offer}); an invalid one keeps the old config
 * serving and is counted as a failed reload. After a compaction everything is read again; after an
 * error the watch is started again with a jittered exponential backoff. Where it stands (revision
 * served, last sync, last error) is its {@link SyncStatus}, which the gateway's node key under
 * {@code <prefix>/nodes/} publishes ({@link #register}).
 *
 * <p>The model and the watch are touched only on this source's own thread, in order.
 */
final class EtcdConfigSource implements FleetView {
  private static final Logger LOG = LoggerFactory.getLogger(EtcdConfigSource.class);
  static final long BACKOFF_MIN_MILLIS = 100;
  static final long BACKOFF_MAX_MILLIS = 10_000;

  private final ConfigReloader reloader;
  private final BulwarkConfig bootstrap;
  private final ResourceLayout layout;
  private final EtcdClient client;
  private final ExecutorService worker;
  private RoutingModel model;
  private BulwarkConfig served;
  private EtcdStreams.Watch watch;
  private int failures;
  private volatile boolean stopped;
  private final EtcdCache cache;

  /** Watch batches not applied yet, in order (the watch's thread adds, the worker drains). */
  private final Queue<List<WatchEvent>> pending = new ConcurrentLinkedQueue<>();

  /** True while the config served came from the cache file, not (yet) from etcd. */
  private volatile boolean fromCache;

  /** The revision served, the last sync and error; the node registration. */
  private final SyncStatus status;

  /** The revision of the last change to a config key in {@link #model}. */
  private long changeRevision;

  EtcdConfigSource(ConfigReloader reloader, BulwarkConfig bootstrap) {
    this.reloader = reloader;
    this.bootstrap = bootstrap;
    this.layout = new ResourceLayout(bootstrap.configSource().etcd().prefix());
    this.client = EtcdClient.create(bootstrap.configSource().etcd());
    String file = bootstrap.configSource().etcd().cacheFile();
    this.cache = file == null || file.isBlank() ? null : new EtcdCache(Path.of(file));
    this.status = new SyncStatus(() -> reloader.gateway().telemetry());
    this.worker =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "bulwark-etcd-source");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Reads the prefix and returns the config to start with.
   *
   * @throws ConfigException when etcd cannot be read or holds an invalid config (every error, by
   *     etcd key); the client is closed then
   */
  BulwarkConfig load() throws ConfigException {
    try {
      RangeResult r = read();
      model = RoutingModel.of(r, layout);
      changeRevision = configRevision(r.kvs());
      served = validated(model);
      status.started(changeRevision, null);
      LOG.info(
          "routing config read from etcd under {} at revision {}",
          layout.prefix(),
          model.revision());
      if (cache != null) cache.write(model, changeRevision);
      return served;
    } catch (ConfigException e) {
      stop();
      throw e;
    } catch (Exception e) {
      String why = "cannot read " + layout.prefix() + " from etcd: " + message(e);
      if (cache != null && cache.exists()) {
        try {
          served = cache.read(bootstrap);
          status.started(cache.revision(), why);
          fromCache = true;
          LOG.warn(
              "serving the cached config of revision {} from {}: etcd unreachable ({})",
              cache.revision(),
              cache.file(),
              why);
          return served;
        } catch (ConfigException ce) {
          why +=
              "; the cache file "
                  + cache.file()
                  + " is not usable: "
                  + String.join("; ", ce.errors().stream().map(Object::toString).toList());
        }
      } else {
        why +=
            cache == null
                ? ", and no cache file (configSource.etcd.cacheFile is not set)"
                : ", and no cache file at " + cache.file();
      }
      stop();
      throw new ConfigException(List.of(new ConfigError("configSource.etcd.endpoints", why)));
    }
  }

  /**
   * Starts the watch from the revision after the one read at start; after a start from the cache
   * file, reads everything first (trying again with the backoff until etcd answers).
   */
  void watch() {
    run(status::reportStart);
    run(fromCache ? () -> resync("started from the cache file") : this::startWatch);
  }

  /**
   * Registers this gateway under {@code <prefix>/nodes/<id>} ({@link NodeRegistration}); the id is
   * configSource.etcd.nodeId, else this host's name and the data port.
   */
  void register(int dataPort, int adminPort) {
    if (!stopped) status.register(client, layout, bootstrap, dataPort, adminPort, this::source);
  }

  @Override
  public EtcdClient etcd() {
    return client;
  }

  @Override
  public ResourceLayout layout() {
    return layout;
  }

  @Override
  public BulwarkConfig bootstrap() {
    return bootstrap;
  }

  @Override
  public long revision() {
    return status.served();
  }

  @Override
  public String nodeId() {
    return status.nodeId();
  }

  @Override
  public Instant lastSync() {
    return status.lastSync();
  }

  @Override
  public String lastError() {
    return status.lastError();
  }

  @Override
  public long refusedRevision() {
    return status.refusedRevision();
  }

  /** "etcd", or "cache" while the config served came from the cache file. */
  String source() {
    return fromCache ? "cache" : "etcd";
  }

  /**
   * Reads everything again (a SIGHUP or an admin reload in etcd mode) and applies it.
   *
   * @return true when a new config was applied
   */
  boolean reread(String reason) {
    try {
      return worker.submit(() -> applyAll(reason)).get();
    } catch (ExecutionException e) {
      String why = "cannot read etcd: " + message(e.getCause());
      status.unreachable(why);
      return reloader.failed(reason, List.of(why));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (RejectedExecutionException e) {
      return false;
    }
  }

  void stop() {
    stopped = true;
    // the node key goes first, while the client is open; if etcd does not answer, the lease expires
    status.deregister(bootstrap.configSource().etcd().dialTimeout().toMillis() + 1000);
    try {
      worker.execute(
          () -> {
            if (watch != null) watch.cancel();
          });
    } catch (RejectedExecutionException e) {
      // already stopped
    }
    worker.shutdown();
    client.close();
  }

  // --- on the worker thread

  private void startWatch() {
    if (stopped) return;
    watch =
        client.watch(
            layout.rangePrefix(),
            model.revision() + 1,
            new WatchListener() {
              @Override
              public void events(long revision, List<WatchEvent> events) {
                pending.add(events);
                run(EtcdConfigSource.this::changed);
              }

              @Override
              public void created(long revision) {
                run(status::answered);
              }

              @Override
              public void compacted(long compactRevision) {
                run(() -> resync("etcd compacted to revision " + compactRevision));
              }

              @Override
              public void failed(Throwable cause) {
                run(() -> retry("the etcd watch ended: " + message(cause)));
              }
            });
  }

  /**
   * Applies every batch the watch delivered so far as one change: a burst of writes costs one
   * validation and one publish per drain, not one per revision, and the config served jumps to the
   * newest revision. A later run finds the queue empty and does nothing.
   */
  private void changed() {
    List<WatchEvent> batch = pending.poll();
    if (batch == null) return;
    failures = 0;
    RoutingModel m = model;
    long rev = 0;
    for (; batch != null; batch = pending.poll()) {
      m = m.with(batch);
      rev = Math.max(rev, configRevision(batch.stream().map(WatchEvent::kv).toList()));
    }
    model = m;
    if (rev == 0) return; // only node registrations changed
    changeRevision = rev;
    apply("etcd revision " + rev);
  }

  /** Reads everything again and watches from there; on an error, tries again later. */
  private void resync(String why) {
    try {
      LOG.info("{}: reading {} again", why, layout.prefix());
      applyAll("etcd re-read");
      failures = 0;
      if (fromCache) LOG.info("etcd answers again: the config is read from it, not the cache");
      fromCache = false;
      startWatch();
    } catch (Exception e) {
      retry("cannot read etcd: " + message(e));
    }
  }

  private boolean applyAll(String reason) throws Exception {
    RangeResult r = read();
    model = RoutingModel.of(r, layout);
    changeRevision = configRevision(r.kvs());
    if (fromCache) served = null; // the first etcd config is published even if equal
    return apply(reason);
  }

  /** Validates the model and offers it to the gateway: a sync applied or refused. */
  private boolean apply(String reason) {
    if (reloader.gateway().draining()) return false;
    long rev = changeRevision;
    status.answered();
    BulwarkConfig cfg;
    try {
      cfg = validated(model);
    } catch (ConfigException e) {
      ConfigSync sync = status.refused(rev, e.errors(), layout.rangePrefix());
      return reloader.failed(reason, sync.errors(), sync);
    }
    boolean unchanged = cfg.equals(served);
    // a re-read cannot see a delete made while the watch was away: the revision never goes back
    long next = fromCache ? rev : Math.max(status.served(), rev);
    ConfigSync ok =
        new ConfigSync(
            SyncStatus.SOURCE, ConfigSync.Result.APPLIED, rev, next, List.of(), List.of());
    boolean applied = reloader.offer(reason, cfg, unchanged, ok);
    if (applied || unchanged) {
      if (applied) served = cfg;
      if (applied && cache != null) cache.write(model, next);
      status.applied(ok);
    } else if (reloader.lastError() != null) {
      // valid, but it did not compile (the reloader counted the failure)
      status.refused(rev, List.of(new ConfigError("", reloader.lastError())), "");
    }
    return applied;
  }

  /** Starts the watch again after a jittered exponential backoff. */
  private void retry(String why) {
    if (stopped) return;
    status.unreachable(why);
    failures++;
    long max = Math.min(BACKOFF_MAX_MILLIS, BACKOFF_MIN_MILLIS << Math.min(failures, 16));
    long delay = Math.max(1, ThreadLocalRandom.current().nextLong(max / 2, max + 1));
    LOG.warn("{}; watching again in {} ms (attempt {})", why, delay, failures);
    client
        .vertx()
        .setTimer(
            delay, id -> run(fromCache ? () -> resync("trying etcd again") : this::startWatch));
  }

  // --- helpers

  /**
   * The revision of the last change among {@code kvs}: the highest mod revision of a key that is
   * not a node registration (a delete's event carries the delete's); 0 when there is none.
   */
  private long configRevision(List<KeyValue> kvs) {
    String nodes = layout.nodesPrefix();
    long rev = 0;
    for (KeyValue kv : kvs) if (!kv.key().startsWith(nodes)) rev = Math.max(rev, kv.modRevision());
    return rev;
  }

  private RangeResult read() throws Exception {
    try {
      return client.range(layout.rangePrefix()).toCompletionStage().toCompletableFuture().get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception c ? c : e;
    }
  }

  private BulwarkConfig validated(RoutingModel m) throws ConfigException {
    if (!m.errors().isEmpty()) throw new ConfigException(m.errors());
    return m.toConfig(bootstrap);
  }

  private void run(Runnable r) {
    if (stopped) return;
    try {
      worker.execute(r);
    } catch (RejectedExecutionException e) {
      // stopped meanwhile
    }
  }

  private static String message(Throwable e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
