package bulwark.server;

import bulwark.admin.FleetView;
import bulwark.config.BulwarkConfig;
import bulwark.config.ConfigException;
import bulwark.config.ConfigLoader;
import bulwark.config.ObservabilityConfig;
import bulwark.observe.ConfigSync;
import bulwark.proxy.Snapshot;
import bulwark.upstream.discovery.Discoveries;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the config file (on a file change, SIGHUP or a test's call): reads it, ignores content
 * that did not change, parses and validates it, and hands a valid config to the gateway to publish.
 * An invalid one is rejected with every error logged, and the old config keeps serving. Counts the
 * reloads and keeps the last error for the admin API and the metrics.
 */
final class ConfigReloader {
  /** Logged as the gateway, as before this class was split out of it. */
  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  static final long WATCH_MILLIS = 50;
  private final Gateway gateway;
  private final Path file;
  private final ConfigLoader loader;
  private volatile String lastHash;
  private volatile String lastError;
  private final AtomicLong ok = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private FileWatcher watcher;

  /** In etcd mode (configSource.type: etcd), the source of the routing config; else null. */
  private EtcdConfigSource etcd;

  ConfigReloader(Gateway gateway, Path file, ConfigLoader loader) {
    this.gateway = gateway;
    this.file = file;
    this.loader = loader;
  }

  /**
   * Reads and parses the file for startup; in etcd mode, reads the routing config from etcd too.
   * Throws ConfigException (with every error).
   */
  BulwarkConfig load() throws Exception {
    String text = Files.readString(file);
    BulwarkConfig cfg = loader.parse(text);
    lastHash = hash(text);
    if (!cfg.etcdMode()) return cfg;
    etcd = new EtcdConfigSource(this, cfg);
    return etcd.load();
  }

  /**
   * In etcd mode, watches etcd (always: it is the source of the routing config); else, when {@code
   * files}, reloads on every settled change to the file (server.reloadSettle).
   */
  void watch(boolean files) {
    if (etcd != null) {
      etcd.watch();
      etcd.register(gateway.dataPort(), gateway.adminPort());
      return;
    }
    if (!files) return;
    watcher =
        new FileWatcher(
            List.of(file),
            () -> gateway.snapshot().config().server().reloadSettle(),
            System::nanoTime,
            () -> reload("file change"));
    watcher.start("bulwark-config-watcher", WATCH_MILLIS);
  }

  void stop() {
    if (watcher != null) watcher.stop();
    if (etcd != null) etcd.stop();
  }

  Gateway gateway() {
    return gateway;
  }

  /**
   * @return true when a new config was applied
   */
  boolean reload(String reason) {
    if (etcd != null) return etcd.reread(reason);
    synchronized (gateway.reloadLock) {
      if (gateway.draining()) return false;
      String text;
      try {
        text = Files.readString(file);
      } catch (Exception e) {
        return failed(reason, List.of("cannot read " + file + ": " + e.getMessage()));
      }
      String h = hash(text);
      if (h.equals(lastHash)) {
        // a bad edit reverted (or SIGHUP after it): the file is the running config again, so the
        // failed state (readiness detail, the last-reload-success metric) is cleared
        if (lastError != null) {
          lastError = null;
          ok.incrementAndGet();
          LOG.info(
              "config reload ({}): the file equals the running config (generation {}) again; the failed reload is cleared",
              reason,
              gateway.generation());
          BulwarkConfig cur = gateway.snapshot().config();
          gateway.telemetry().reloaded(reason, cur, cur, List.of());
        }
        return false;
      }
      BulwarkConfig cfg;
      try {
        cfg = loader.parse(text);
      } catch (ConfigException e) {
        return failed(reason, e.errors().stream().map(Object::toString).toList());
      }
      if (!publish(reason, cfg)) return false;
      lastHash = h;
      return true;
    }
  }

  /**
   * Publishes a valid {@code cfg} (the caller holds reloadLock), counts the reload and logs it.
   *
   * @return false (the failure counted) when it cannot be compiled
   */
  boolean publish(String reason, BulwarkConfig cfg) {
    return publish(reason, cfg, null);
  }

  /** As {@link #publish(String, BulwarkConfig)}, for a config from etcd's {@code sync}. */
  private boolean publish(String reason, BulwarkConfig cfg, ConfigSync sync) {
    Snapshot before = gateway.snapshot();
    BulwarkConfig cur = before.config();
    warnAboutRestartOnly(reason, cur, cfg);
    try {
      gateway.publish(cfg);
    } catch (RuntimeException e) {
      return failed(reason, List.of("cannot compile the new config: " + e));
    }
    if (gateway.certificates() != null
        && cfg.server().tls() != null
        && !cfg.server().tls().equals(cur.server().tls())) {
      gateway.certificates().configChanged(cfg.server().tls());
    }
    lastError = null;
    ok.incrementAndGet();
    int routesBefore = before.table().routes().size();
    int routesAfter = gateway.snapshot().table().routes().size();
    LOG.info(
        "config reloaded ({}): generation {}, {} routes",
        reason,
        gateway.generation(),
        routesAfter);
    if (routesAfter * 2 < routesBefore) {
      // most often a file read half-written: write a new file and rename it into place
      LOG.warn(
          "config reload ({}) removed most routes: generation {} has {} route(s), the previous one had {}; if that is not "
              + "intended, check that the file was complete when it was read (write a new file and rename it into place)",
          reason,
          gateway.generation(),
          routesAfter,
          routesBefore);
    }
    gateway.telemetry().reloaded(reason, cur, gateway.snapshot().config(), List.of(), sync);
    return true;
  }

  /**
   * A config from etcd: published unless {@code unchanged} (it equals the one etcd gave last); then
   * a failed state is cleared (a bad change undone).
   *
   * @return true when a new config was applied
   */
  boolean offer(String reason, BulwarkConfig cfg, boolean unchanged, ConfigSync sync) {
    synchronized (gateway.reloadLock) {
      if (gateway.draining()) return false;
      BulwarkConfig cur = gateway.snapshot().config();
      if (!unchanged) return publish(reason, cfg, sync);
      if (lastError != null) {
        lastError = null;
        ok.incrementAndGet();
        LOG.info(
            "config reload ({}): etcd holds the running config (generation {}) again; the failed reload is cleared",
            reason,
            gateway.generation());
        gateway.telemetry().reloaded(reason, cur, cur, List.of(), sync);
      }
      return false;
    }
  }

  /**
   * Publishes the serving config again with the targets DNS discovery found now (called when an
   * answer changed them): the upstreams whose targets changed are replaced as by a reload.
   */
  void rediscovered(Discoveries discoveries) {
    synchronized (gateway.reloadLock) {
      Snapshot s = gateway.snapshot();
      if (s == null || gateway.draining()) return;
      if (discoveries.apply(s.config()).equals(s.config())) return;
      try {
        gateway.publish(s.config());
      } catch (RuntimeException e) {
        LOG.error("cannot publish the targets DNS discovery found; the previous ones stay", e);
      }
    }
  }

  /** Changes that a reload accepts but that take effect only after a restart. */
  private void warnAboutRestartOnly(String reason, BulwarkConfig cur, BulwarkConfig cfg) {
    if (!cfg.server().listen().equals(cur.server().listen())
        || !cfg.admin().equals(cur.admin())
        || cfg.server().http2() != cur.server().http2()
        || !cfg.server().limits().equals(cur.server().limits())) {
      LOG.warn(
          "config reload ({}): changes to server.listen, server.http2, server.limits and admin take effect after a restart",
          reason);
    }
    ObservabilityConfig oo = cur.observability();
    ObservabilityConfig no = cfg.observability();
    if (!no.metrics().equals(oo.metrics())
        || !no.tracing().equals(oo.tracing())
        || !Objects.equals(no.audit(), oo.audit())) {
      LOG.warn(
          "config reload ({}): changes to observability.metrics, observability.tracing and observability.audit take effect after a restart",
          reason);
    }
    if ((cfg.server().tls() != null) != (gateway.certificates() != null)) {
      LOG.warn(
          "config reload ({}): turning server.tls on or off takes effect after a restart", reason);
    }
  }

  boolean failed(String reason, List<String> errors) {
    return failed(reason, errors, null);
  }

  /** A rejected reload; {@code sync} is the refused change from etcd, null for the file. */
  boolean failed(String reason, List<String> errors, ConfigSync sync) {
    failed.incrementAndGet();
    lastError = String.join("; ", errors);
    LOG.error(
        "config reload ({}) rejected, the previous config keeps serving; {} error(s):\n  {}",
        reason,
        errors.size(),
        String.join("\n  ", errors));
    Snapshot s = gateway.snapshot();
    gateway.telemetry().reloaded(reason, s == null ? null : s.config(), null, errors, sync);
    return false;
  }

  long reloadsOk() {
    return ok.get();
  }

  long reloadsFailed() {
    return failed.get();
  }

  String lastError() {
    return lastError;
  }

  /** The etcd side in etcd mode; null in file mode. */
  FleetView fleet() {
    return etcd;
  }

  /** file, etcd, or cache (started from etcd's cache file, etcd not read yet). */
  String source() {
    return etcd == null ? "file" : etcd.source();
  }

  private static String hash(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
