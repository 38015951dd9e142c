package bulwark.proxy;

import io.vertx.core.Future;
import io.vertx.core.http.HttpClient;

/**
 * The HTTP client (and so the connection pool) of one upstream on one event loop, with the number
 * of exchanges using it. A client whose upstream a reload replaced is closed only once its last
 * exchange has finished, so a reload never cuts a request. Confined to its event loop.
 */
public final class UpstreamClient {
  final HttpClient http;
  private int inFlight;
  private boolean retired;
  private boolean closed;

  UpstreamClient(HttpClient http) {
    this.http = http;
  }

  void acquire() {
    inFlight++;
  }

  /** Called once when an exchange that used this client ends. */
  public void release() {
    inFlight--;
    if (retired && inFlight == 0) close();
  }

  void retire() {
    retired = true;
    if (inFlight == 0) close();
  }

  /** Closes when the exchanges using it have ended (none yet: the caller acquires next). */
  void retireWhenIdle() {
    retired = true;
  }

  Future<Void> close() {
    if (closed) return Future.succeededFuture();
    closed = true;
    return http.close();
  }
}
