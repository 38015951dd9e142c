package bulwark.server;

import bulwark.config.BulwarkConfig;
import bulwark.config.HostPort;
import bulwark.config.LimitsConfig;
import bulwark.proxy.Problem;
import bulwark.proxy.ProxyHandler;
import bulwark.proxy.RequestIds;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One data listener on one event loop. Several instances share the port; each owns a {@link
 * ProxyHandler} whose upstream pools live on the same event loop.
 */
final class DataPlaneVerticle extends VerticleBase {
  private final Gateway gateway;
  private final BulwarkConfig config;
  private HttpServer server;
  private ProxyHandler proxy;

  /** Open client connections of this listener; written on its event loop only. */
  private volatile int connections;

  /**
   * While the gateway warms up ({@link Warmup}): the secret its own requests carry and the handler
   * that serves them. Null otherwise; read and written on this listener's event loop only.
   */
  private Warmup.Entry warmup;

  DataPlaneVerticle(Gateway gateway, BulwarkConfig config) {
    this.gateway = gateway;
    this.config = config;
  }

  static HttpServerOptions options(BulwarkConfig cfg) {
    LimitsConfig l = cfg.server().limits();
    HostPort hp = HostPort.parse(cfg.server().listen());
    int maxHead = (int) Math.min(Integer.MAX_VALUE, l.maxHeaderBytes().bytes());
    HttpServerOptions o =
        new HttpServerOptions()
            .setHost(hp.host())
            .setPort(hp.port())
            .setMaxHeaderSize(maxHead)
            .setMaxInitialLineLength(Math.max(4096, maxHead))
            .setIdleTimeout((int) l.idleTimeout().toSeconds())
            .setIdleTimeoutUnit(TimeUnit.SECONDS)
            .setHttp2ClearTextEnabled(cfg.server().http2())
            .setHandle100ContinueAutomatically(true)
            .setCompressionSupported(false)
            .setTcpNoDelay(true)
            .setReuseAddress(true)
            .setDecompressionSupported(false)
            // every request and response is handled on its connection's event loop (the proxy never
            // touches one from another thread), so Vert.x may skip its cross-thread dispatch and
            // locking
            .setStrictThreadMode(true);
    // the same limit for HTTP/2 request headers (SETTINGS_MAX_HEADER_LIST_SIZE), keeping the other
    // defaults
    o.getInitialSettings().setMaxHeaderListSize(maxHead);
    if (cfg.server().tls() != null) {
      try {
        ServerTls.apply(o, cfg.server().tls(), cfg.server().http2());
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return o;
  }

  @Override
  public Future<?> start() {
    proxy = new ProxyHandler(vertx, gateway);
    // requestHeaderTimeout is enforced from the accept on, in the Netty pipeline
    // (FramingTransport):
    // with h2c on, this handler runs only after a connection's first complete head
    server =
        vertx
            .createHttpServer(options(config))
            .connectionHandler(this::count)
            .invalidRequestHandler(this::invalid)
            .requestHandler(
                req -> {
                  hsts(req);
                  if (req.version() != HttpVersion.HTTP_2)
                    req.response().endHandler(v -> closeIfDraining(req));
                  Warmup.Entry w = warmup;
                  (w != null && w.marks(req) ? w.proxy() : proxy).handle(req);
                });
    gateway.register(context, proxy, this);
    return server.listen();
  }

  /**
   * While draining, an HTTP/1.x response that says Connection: close ends its connection, once it
   * has been written (a kept-alive connection is otherwise left open until the drain window ends).
   */
  private void closeIfDraining(HttpServerRequest req) {
    if (gateway.draining()
        && req.response()
            .headers()
            .contains(
                io.vertx.core.http.HttpHeaders.CONNECTION,
                io.vertx.core.http.HttpHeaders.CLOSE,
                true)) {
      req.connection().shutdown(gateway.graceLeft());
    }
  }

  /** Serves the warm-up's requests with {@code entry} (on this listener's event loop). */
  void warmup(Warmup.Entry entry) {
    warmup = entry;
  }

  /**
   * The warm-up ended (on this listener's event loop): its marker means nothing from now on, and
   * its handler's upstream connections close.
   */
  void endWarmup() {
    Warmup.Entry w = warmup;
    warmup = null;
    if (w != null) w.proxy().closeClients();
  }

  /** Counts the connection while it is open. */
  private void count(HttpConnection conn) {
    connections++;
    conn.closeHandler(v -> connections--);
  }

  /** Open client connections of this listener (any thread). */
  int connections() {
    return connections;
  }

  /** Strict-Transport-Security on every response of a TLS connection, when configured. */
  private void hsts(HttpServerRequest req) {
    if (req.isSSL()) {
      CharSequence v = gateway.hsts();
      if (v != null) req.response().headers().set(STS, v);
    }
  }

  private static final CharSequence STS =
      io.vertx.core.http.HttpHeaders.createOptimized("Strict-Transport-Security");

  /**
   * Switches to new certificates or TLS settings; new connections use them, open ones keep theirs.
   */
  Future<Boolean> updateSsl(io.vertx.core.net.ServerSSLOptions options) {
    return server.updateSSLOptions(options, true);
  }

  private void invalid(HttpServerRequest req) {
    hsts(req);
    Throwable cause = req.decoderResult().cause();
    int status;
    String title;
    String detail;
    if (cause instanceof TooLongHttpHeaderException) {
      status = 431;
      title = "Request Header Fields Too Large";
      detail =
          "the request headers are larger than "
              + config.server().limits().maxHeaderBytes().human();
    } else if (cause instanceof TooLongHttpLineException) {
      status = 414;
      title = "URI Too Long";
      detail = "the request line is too long";
    } else {
      status = 400;
      title = "Bad Request";
      detail = "the request is not valid HTTP";
    }
    req.response().putHeader("Connection", "close");
    String path = null;
    if (status != 414) {
      try {
        path = req.path();
      } catch (RuntimeException e) {
        path = null;
      }
    }
    Problem.send(req.response(), status, title, detail, RequestIds.next(), path);
  }

  /** Stops accepting connections and lets in-flight requests finish within the grace period. */
  Future<Void> shutdownServer(Duration grace) {
    return server.shutdown(grace);
  }

  int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  ProxyHandler proxy() {
    return proxy;
  }
}
