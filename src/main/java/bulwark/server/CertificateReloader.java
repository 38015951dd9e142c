package bulwark.server;

import bulwark.config.TlsConfig;
import io.vertx.core.net.ServerSSLOptions;
import java.io.IOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the TLS listeners' certificates current: watches the certificate and key files of
 * server.tls and, when they change (or a reload changes server.tls), reads them again and switches
 * every listener to them. New connections get the new certificates, open ones keep theirs; files
 * that do not parse leave the current ones serving.
 */
final class CertificateReloader {
  /** Logged as the gateway, as before this class was split out of it. */
  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  static final long WATCH_MILLIS = Long.getLong("bulwark.tls.watchMillis", 250);

  /** A renewal writes the certificate and the key one after the other: both must have settled. */
  static final Duration SETTLE = Duration.ofMillis(Math.max(20, WATCH_MILLIS / 2));

  private final Gateway gateway;
  private final boolean http2;

  /** Watches the files of the current server.tls; replaced when a reload changes it. */
  private volatile FileWatcher watcher;

  /**
   * @param http2 whether the listeners were started with HTTP/2 (ALPN h2 is offered)
   */
  CertificateReloader(Gateway gateway, boolean http2) {
    this.gateway = gateway;
    this.http2 = http2;
  }

  /** (Re)starts watching the certificate and key files of {@code tls}. */
  void watch(TlsConfig tls) {
    FileWatcher old = watcher;
    if (old != null) old.stop();
    FileWatcher w =
        new FileWatcher(ServerTls.files(tls), () -> SETTLE, System::nanoTime, this::filesChanged);
    watcher = w;
    w.start("bulwark-tls-watcher", WATCH_MILLIS);
  }

  /** A reload changed server.tls: its certificates now, and its files watched from now on. */
  void configChanged(TlsConfig tls) {
    apply(tls, "config reload");
    watch(tls);
  }

  void stop() {
    FileWatcher w = watcher;
    if (w != null) w.stop();
  }

  private void filesChanged() {
    synchronized (gateway.reloadLock) {
      if (gateway.draining()) return;
      TlsConfig tls = gateway.snapshot().config().server().tls();
      if (tls != null) apply(tls, "certificate files changed");
    }
  }

  private void apply(TlsConfig tls, String reason) {
    ServerSSLOptions opts;
    try {
      opts = ServerTls.sslOptions(tls, http2);
    } catch (IOException | RuntimeException e) {
      LOG.error(
          "TLS update ({}) rejected, the previous certificates keep serving: {}",
          reason,
          e.getMessage());
      return;
    }
    gateway
        .listeners()
        .updateSsl(opts)
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                LOG.info(
                    "TLS updated ({}): {} certificate(s), {}",
                    reason,
                    tls.certificates().size(),
                    ServerTls.protocols(tls));
              } else {
                LOG.error(
                    "TLS update ({}) failed, the previous certificates keep serving: {}",
                    reason,
                    String.valueOf(ar.cause()));
              }
            });
  }
}
