package bulwark.server;

import bulwark.config.HostPort;
import bulwark.fleet.EtcdClient;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This gateway's entry under {@code <prefix>/nodes/<id>} (etcd mode): a JSON value put with an etcd
 * lease of {@link #TTL_SECONDS}, kept alive every third of it, so that the key disappears within
 * the TTL when the gateway dies. When the lease is lost (etcd says it expired or does not know it,
 * after an outage longer than the TTL or a revoke), a new one is granted and the key put again;
 * while etcd is unreachable it tries again with a jittered backoff. {@link #changed} puts the
 * current value again, at most once per {@link #MIN_PUT_INTERVAL_MILLIS} (the last value wins), so
 * that a burst of config writes does not become as many registration writes. {@link #stop} revokes
 * the lease: the key is gone at once.
 *
 * <p>Its state is touched only on one context of the etcd client's Vert.x.
 */
final class NodeRegistration {
  private static final Logger LOG = LoggerFactory.getLogger(NodeRegistration.class);

  /** The lease's time to live: how long a dead gateway stays listed. */
  static final long TTL_SECONDS = 10;

  /** The least time between two puts of the value. */
  static final long MIN_PUT_INTERVAL_MILLIS = 500;

  private static final long KEEPALIVE_MILLIS = TimeUnit.SECONDS.toMillis(TTL_SECONDS) / 3;
  private static final long RETRY_MIN_MILLIS = 200;

  private final EtcdClient client;
  private final Vertx vertx;
  private final Context context;
  private final String key;
  private final Supplier<String> value;

  // --- on the context

  /** The lease the key is put with; 0 while there is none. */
  private long lease;

  private boolean registering;
  private boolean putting;

  /** The value changed since it was last put. */
  private boolean dirty;

  private long lastPutNanos;
  private long tickTimer = -1;
  private long putTimer = -1;
  private int failures;
  private boolean registeredOnce;
  private boolean stopped;

  /** The lease held now, for any thread (tests, the log). */
  private volatile long currentLease;

  NodeRegistration(EtcdClient client, String key, Supplier<String> value) {
    this.client = client;
    this.vertx = client.vertx();
    this.context = vertx.getOrCreateContext();
    this.key = key;
    this.value = value;
  }

  String key() {
    return key;
  }

  /** The lease the key is attached to now, 0 while there is none. */
  long lease() {
    return currentLease;
  }

  /** Grants a lease, puts the key and keeps the lease alive from now on. */
  void start() {
    on(this::register);
  }

  /** The value changed: puts it again (rate limited). */
  void changed() {
    on(this::schedulePut);
  }

  /**
   * Stops keeping the lease alive and revokes it (the key is deleted with it); the future ends when
   * etcd answered (or could not be reached).
   */
  Future<Void> stop() {
    Promise<Void> done = Promise.promise();
    on(
        () -> {
          stopped = true;
          cancel(tickTimer);
          cancel(putTimer);
          long id = lease;
          lease = 0;
          currentLease = 0;
          if (id == 0) {
            done.tryComplete();
            return;
          }
          client
              .leaseRevoke(id)
              .onComplete(
                  ar -> {
                    if (ar.failed())
                      LOG.debug("cannot revoke the lease of {}: {}", key, ar.cause().toString());
                    done.tryComplete();
                  });
        });
    return done.future();
  }

  // --- on the context

  private void register() {
    if (stopped || registering) return;
    registering = true;
    cancel(tickTimer);
    tickTimer = -1;
    client
        .leaseGrant(TTL_SECONDS)
        .compose(
            id -> {
              dirty = false;
              return client.putWithLease(key, value.get(), id).map(id).recover(e -> revoked(id, e));
            })
        .onComplete(ar -> on(() -> registered(ar.succeeded() ? ar.result() : 0, ar.cause())));
  }

  /** A put with a new lease failed: that lease is revoked (best effort) and the error kept. */
  private Future<Long> revoked(long id, Throwable e) {
    return client.leaseRevoke(id).transform(x -> Future.failedFuture(e));
  }

  private void registered(long id, Throwable error) {
    registering = false;
    if (stopped) {
      if (id != 0) client.leaseRevoke(id);
      return;
    }
    if (error != null) {
      failures++;
      long max = Math.min(KEEPALIVE_MILLIS, RETRY_MIN_MILLIS << Math.min(failures, 8));
      long delay = ThreadLocalRandom.current().nextLong(max / 2, max + 1);
      if (failures == 1 || failures % 10 == 0)
        LOG.warn(
            "cannot register {} in etcd (attempt {}): {}; trying again in {} ms",
            key,
            failures,
            error.getMessage(),
            delay);
      tickTimer = vertx.setTimer(delay, t -> on(this::tick));
      return;
    }
    lease = id;
    currentLease = id;
    lastPutNanos = System.nanoTime();
    failures = 0;
    LOG.info(
        "{} in etcd as {} (lease {}, {} s)",
        registeredOnce ? "registered again" : "registered",
        key,
        Long.toHexString(id),
        TTL_SECONDS);
    registeredOnce = true;
    scheduleTick();
    if (dirty) schedulePut();
  }

  private void scheduleTick() {
    cancel(tickTimer);
    tickTimer = vertx.setTimer(KEEPALIVE_MILLIS, t -> on(this::tick));
  }

  /** Keeps the lease alive, or registers again when there is none or etcd says it is gone. */
  private void tick() {
    tickTimer = -1;
    if (stopped) return;
    long id = lease;
    if (id == 0) {
      register();
      return;
    }
    client
        .keepAlive(id)
        .onComplete(
            ar ->
                on(
                    () -> {
                      if (stopped || id != lease) return;
                      if (ar.failed()) {
                        // etcd unreachable: the lease may outlive the outage; if not, etcd says
                        // so once it answers
                        if (failures++ == 0)
                          LOG.warn(
                              "cannot keep the lease of {} alive: {}",
                              key,
                              ar.cause().getMessage());
                        scheduleTick();
                        return;
                      }
                      if (ar.result() <= 0) {
                        lost("etcd no longer has its lease");
                        return;
                      }
                      failures = 0;
                      scheduleTick();
                      if (dirty) schedulePut();
                    }));
  }

  private void lost(String why) {
    LOG.info("{}: {}; registering again", key, why);
    lease = 0;
    currentLease = 0;
    register();
  }

  private void schedulePut() {
    dirty = true;
    if (stopped || lease == 0 || registering || putting || putTimer >= 0) return;
    long wait =
        MIN_PUT_INTERVAL_MILLIS - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastPutNanos);
    if (wait <= 0) put();
    else
      putTimer =
          vertx.setTimer(
              wait,
              t ->
                  on(
                      () -> {
                        putTimer = -1;
                        put();
                      }));
  }

  private void put() {
    long id = lease;
    if (stopped || id == 0 || !dirty || putting) return;
    dirty = false;
    putting = true;
    lastPutNanos = System.nanoTime();
    client
        .putWithLease(key, value.get(), id)
        .onComplete(
            ar ->
                on(
                    () -> {
                      putting = false;
                      if (stopped || id != lease) return;
                      if (ar.failed()) {
                        String m = String.valueOf(ar.cause().getMessage());
                        if (m.contains("lease not found")) {
                          lost("etcd no longer has its lease");
                          return;
                        }
                        dirty = true; // put again on the next keep-alive
                        LOG.debug("cannot update {}: {}", key, m);
                        return;
                      }
                      if (dirty) schedulePut();
                    }));
  }

  private void cancel(long timer) {
    if (timer >= 0) vertx.cancelTimer(timer);
  }

  private void on(Runnable r) {
    if (Vertx.currentContext() == context) r.run();
    else context.runOnContext(v -> r.run());
  }

  // --- the id and addresses

  /**
   * This host's name: $HOSTNAME (a Kubernetes pod's name), else what the system says, else
   * "localhost".
   */
  static String hostName() {
    String h = System.getenv("HOSTNAME");
    if (h != null && !h.isBlank()) return h.trim();
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      return "localhost";
    }
  }

  /**
   * The address others reach the listener configured at {@code listen} (host:port) on, bound to
   * {@code port}: its host, or this host's name when it listens on every address; null when it has
   * no port.
   */
  static String address(String listen, int port) {
    if (port <= 0) return null;
    String h;
    try {
      h = HostPort.parse(listen).host();
    } catch (RuntimeException e) {
      h = "";
    }
    if (h.isEmpty() || h.equals("0.0.0.0") || h.equals("::")) h = hostName();
    return new HostPort(h, port).toString();
  }
}
