package bulwark.server;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * requestHeaderTimeout: a new connection must deliver a complete request head in time, or it is
 * closed. Later requests on a kept-alive connection are bounded by the idle timeout.
 */
final class SlowHeaderGuard {
  private static final Map<HttpConnection, Long> PENDING = new ConcurrentHashMap<>();

  private SlowHeaderGuard() {}

  /** @param onClose runs once when the connection closes */
  static void watch(Vertx vertx, HttpConnection conn, long timeoutMillis, Runnable onClose) {
    long id = vertx.setTimer(timeoutMillis, t -> {
      if (PENDING.remove(conn) != null) conn.close();
    });
    PENDING.put(conn, id);
    conn.closeHandler(v -> {
      onClose.run();
      Long t = PENDING.remove(conn);
      if (t != null) vertx.cancelTimer(t);
    });
  }

  static void requestSeen(HttpConnection conn) {
    if (PENDING.isEmpty()) return;
    PENDING.remove(conn);
  }
}
