package bulwark.server;

import bulwark.admin.AdminServer;
import bulwark.config.BulwarkConfig;
import bulwark.transport.DrainGate;
import bulwark.transport.FramingTransport;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.transport.Transport;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener part of the gateway's start sequence: builds Vert.x on the native transport (NIO
 * when it is unavailable) with the request-smuggling guard, binds the data listeners and the admin
 * listener, and maps a failed bind to a {@link ListenException} naming the listener and its
 * address.
 */
final class ServerStart {
  /** The gateway's logger: the start lines keep their logger name. */
  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  private ServerStart() {}

  /** Vert.x with {@code loops} event loops; logs when the native transport is unavailable. */
  static Vertx vertx(BulwarkConfig cfg, int loops, DrainGate drainGate) {
    Transport native_ = Transport.nativeTransport();
    Transport transport = native_ != null && native_.available() ? native_ : Transport.NIO;
    // the transport puts the request-smuggling guard in front of every HTTP/1.x decoder
    // (RequestFraming)
    Vertx vertx =
        Vertx.builder()
            .with(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(loops))
            .withTransport(
                FramingTransport.wrap(
                    transport,
                    cfg.server().limits().requestHeaderTimeout().toMillis(),
                    drainGate,
                    ProxyFramingRules.INSTANCE))
            .build();
    if (!vertx.isNativeTransportEnabled()) {
      LOG.warn(
          "native epoll transport unavailable, using NIO: {}",
          String.valueOf(vertx.unavailableNativeTransportCause()));
    }
    return vertx;
  }

  /**
   * Binds a data listener on each of the {@code loops} event loops, then the admin listener, and
   * returns the started admin server. When a bind fails, Vert.x is closed, {@code release} frees
   * the gateway's other resources, and the failure is thrown: a busy port as a {@link
   * ListenException}.
   */
  static AdminServer bind(
      Vertx vertx, Gateway gateway, BulwarkConfig cfg, int loops, Runnable release)
      throws Exception {
    String listener = "data listener" + (cfg.server().tls() != null ? " (TLS)" : "");
    String address = cfg.server().listen();
    String field = "server.listen";
    try {
      vertx
          .deployVerticle(
              () -> new DataPlaneVerticle(gateway, cfg),
              new DeploymentOptions().setInstances(loops))
          .await(30, TimeUnit.SECONDS);
      listener = "admin listener";
      address = cfg.admin().listen();
      field = "admin.listen";
      AdminServer admin = new AdminServer(vertx, gateway, cfg.admin());
      admin.start().await(30, TimeUnit.SECONDS);
      return admin;
    } catch (Exception e) {
      vertx.close().await(10, TimeUnit.SECONDS);
      release.run();
      // a busy port names the listener and its address, not just Netty's "bind(..) failed"
      if (ListenException.isListenFailure(e))
        throw new ListenException(listener, address, field, e);
      throw e;
    }
  }

  /** Logs the "bulwark listening" line once everything is bound. */
  static void logListening(BulwarkConfig cfg, int routes, int loops, Vertx vertx) {
    LOG.info(
        "bulwark listening on {} (admin {}), {} routes, {} event loops, transport {}, {}",
        cfg.server().listen(),
        cfg.admin().listen(),
        routes,
        loops,
        vertx.isNativeTransportEnabled() ? "epoll" : "nio",
        tlsSummary(cfg));
  }

  /** The TLS part of the "listening" line: protocols, engine, certificates, ALPN. */
  private static String tlsSummary(BulwarkConfig cfg) {
    return cfg.server().tls() != null
        ? "TLS "
            + ServerTls.protocols(cfg.server().tls())
            + " by "
            + ServerTls.engineName()
            + ", "
            + cfg.server().tls().certificates().size()
            + " certificate(s)"
            + (cfg.server().http2() ? ", ALPN h2" : "")
        : "plain HTTP";
  }
}
