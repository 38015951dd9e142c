package bulwark.it;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A TCP proxy on loopback (to an etcd member, say) that can be cut (listener closed, every
 * connection closed) and opened again: a gateway behind it loses its peer while the peer lives on.
 */
final class TcpProxy implements AutoCloseable {
  final Vertx vertx = Vertx.vertx();
  final NetClient client = vertx.createNetClient();
  final Set<NetSocket> sockets = ConcurrentHashMap.newKeySet();
  final int port = TestSupport.freePort();
  final int target;
  NetServer server;

  TcpProxy(int target) {
    this.target = target;
  }

  /** The proxy's address, http://127.0.0.1:port. */
  String url() {
    return "http://127.0.0.1:" + port;
  }

  void open() throws Exception {
    server =
        vertx
            .createNetServer()
            .connectHandler(
                in -> {
                  in.pause();
                  sockets.add(in);
                  in.closeHandler(v -> sockets.remove(in));
                  client
                      .connect(target, "127.0.0.1")
                      .onComplete(
                          ar -> {
                            if (ar.failed()) {
                              in.close();
                              return;
                            }
                            NetSocket out = ar.result();
                            sockets.add(out);
                            out.closeHandler(
                                v -> {
                                  sockets.remove(out);
                                  in.close();
                                });
                            in.closeHandler(
                                v -> {
                                  sockets.remove(in);
                                  out.close();
                                });
                            in.pipeTo(out);
                            out.pipeTo(in);
                          });
                });
    server.listen(port, "127.0.0.1").await(10, TimeUnit.SECONDS);
  }

  void cut() throws Exception {
    server.close().await(10, TimeUnit.SECONDS);
    for (NetSocket s : sockets) s.close().await(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }
}
