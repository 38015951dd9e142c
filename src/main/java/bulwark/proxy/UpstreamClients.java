package bulwark.proxy;

import bulwark.config.LivenessConfig;
import bulwark.observe.Telemetry;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.target.UpstreamTls;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The upstream clients of one event loop, one per upstream (its connection pools belong to that
 * loop). Touched only on that loop.
 */
final class UpstreamClients {
  /**
   * HTTP/2 flow-control windows toward upstreams: a stream may have 1 MiB in flight (the default 64
   * KiB caps a stream's throughput at 64 KiB per round trip), a connection 16 MiB. They bound what
   * an upstream can send before the client reads it: back-pressure holds beyond them.
   */
  private static final int H2_STREAM_WINDOW = 1 << 20;

  private static final int H2_CONNECTION_WINDOW = 16 << 20;

  /**
   * The largest response head (HTTP/2: header list, as SETTINGS_MAX_HEADER_LIST_SIZE says) taken
   * from an upstream, as for HTTP/1.1 (Vert.x's maxHeaderSize): a larger one fails its request
   * (502).
   */
  static final int MAX_RESPONSE_HEAD = HttpClientOptions.DEFAULT_MAX_HEADER_SIZE;

  private final Vertx vertx;
  private final Telemetry telemetry;
  private final Map<UpstreamRuntime, UpstreamClient> clients = new IdentityHashMap<>();

  UpstreamClients(Vertx vertx, Telemetry telemetry) {
    this.vertx = vertx;
    this.telemetry = telemetry;
  }

  /** The client of {@code up} on this loop, made on first use. */
  UpstreamClient client(UpstreamRuntime up) {
    UpstreamClient c = clients.get(up);
    if (c == null) {
      var tc = up.config().timeouts();
      HttpClientOptions o =
          (up.needsTls()
                  ? UpstreamTls.apply(new HttpClientOptions(), up.config().tls())
                  : new HttpClientOptions())
              .setKeepAlive(true)
              .setKeepAliveTimeout((int) Math.max(1, tc.idle().toSeconds()))
              .setIdleTimeout((int) Math.max(1, tc.idle().toSeconds()))
              .setIdleTimeoutUnit(TimeUnit.SECONDS)
              .setConnectTimeout((int) tc.connect().toMillis())
              .setTcpNoDelay(true)
              .setDecompressionSupported(false)
              .setName("bulwark-" + up.name());
      boolean multiplexed = UpstreamRequests.protocol(up).multiplexed();
      if (multiplexed) {
        // HTTP/2 by prior knowledge on plain TCP (h2c), by ALPN over TLS; HTTP/1.1 stays available
        // (auto's fallback, tunnels)
        o.setProtocolVersion(HttpVersion.HTTP_2)
            .setHttp2ClearTextUpgrade(false)
            .setHttp2ConnectionWindowSize(H2_CONNECTION_WINDOW)
            .getInitialSettings()
            .setInitialWindowSize(H2_STREAM_WINDOW)
            .setMaxHeaderListSize(MAX_RESPONSE_HEAD);
      }
      LivenessConfig h2 = up.config().h2();
      H2Slot.Pings pings =
          multiplexed && h2 != null && h2.pingInterval() != null
              ? new H2Slot.Pings(
                  h2.pingInterval().toMillis(),
                  h2.pingTimeout() == null ? 5000 : h2.pingTimeout().toMillis(),
                  Math.max(1, tc.idle().toMillis()))
              : null;
      String name = up.name();
      c =
          new UpstreamClient(
              vertx,
              vertx.httpClientBuilder().with(o).build(),
              up.config().maxConnectionsPerTarget(),
              up.config().maxTunnelsPerTarget(),
              multiplexed,
              pings,
              new ConnectionEvents() {
                @Override
                public void alpnRefused(String target) {
                  telemetry.alpnRefused(name, target);
                }

                @Override
                public void pingTimedOut(String target) {
                  telemetry.pingTimedOut(name, target);
                }
              });
      // a request that read the previous snapshot may still reach a retired upstream: it gets a
      // client of its own, closed when its last exchange ends
      if (up.retired()) c.retireWhenIdle();
      else clients.put(up, c);
    }
    return c;
  }

  /** Closes the pools of upstreams replaced by a reload, each once its last exchange has ended. */
  void retire() {
    for (Iterator<Map.Entry<UpstreamRuntime, UpstreamClient>> it = clients.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<UpstreamRuntime, UpstreamClient> e = it.next();
      if (e.getKey().retired()) {
        e.getValue().retire();
        it.remove();
      }
    }
  }

  Future<Void> close() {
    List<Future<Void>> fs = clients.values().stream().map(UpstreamClient::close).toList();
    clients.clear();
    return Future.join(fs).mapEmpty();
  }
}
