package bulwark.server;

import bulwark.proxy.ProxyHandler;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.net.ServerSSLOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The data listeners, one per event loop, and what the gateway does to all of them at once. */
final class Listeners {
  private record Listener(Context context, ProxyHandler proxy, DataPlaneVerticle verticle) {}

  private final List<Listener> all = new CopyOnWriteArrayList<>();

  void add(Context context, ProxyHandler proxy, DataPlaneVerticle verticle) {
    all.add(new Listener(context, proxy, verticle));
  }

  /** Open client connections, over every event loop. */
  long connections() {
    long n = 0;
    for (Listener l : all) n += l.verticle().connections();
    return n;
  }

  /** The port the first listener is bound to, or -1. */
  int port() {
    return all.isEmpty() ? -1 : all.get(0).verticle().actualPort();
  }

  /** Each loop drops its clients of upstreams that a reload retired. */
  void retireClients() {
    for (Listener l : all) l.context().runOnContext(v -> l.proxy().retireClients());
  }

  /** Runs {@code action} on every listener's event loop; completes once all have run it. */
  Future<?> onEachLoop(java.util.function.Consumer<DataPlaneVerticle> action) {
    List<Future<Void>> fs = new ArrayList<>();
    for (Listener l : all)
      fs.add(
          Future.<Void>future(
              p ->
                  l.context()
                      .runOnContext(
                          v -> {
                            action.accept(l.verticle());
                            p.complete();
                          })));
    return Future.join(fs);
  }

  /** Stops accepting and drains, within {@code grace}. */
  Future<?> shutdown(Duration grace) {
    List<Future<Void>> fs = new ArrayList<>();
    for (Listener l : all) fs.add(l.verticle().shutdownServer(grace));
    return Future.join(fs);
  }

  /** Closes every loop's upstream clients. */
  Future<?> closeClients() {
    List<Future<Void>> fs = new ArrayList<>();
    for (Listener l : all)
      fs.add(
          Future.<Void>future(
              p -> l.context().runOnContext(v -> l.proxy().closeClients().onComplete(p))));
    return Future.join(fs);
  }

  /** Switches every listener to new certificates (open connections keep theirs). */
  Future<?> updateSsl(ServerSSLOptions opts) {
    List<Future<Boolean>> fs = new ArrayList<>();
    for (Listener l : all) fs.add(l.verticle().updateSsl(opts.copy()));
    return Future.all(fs);
  }
}
