package bulwark.proxy;

import bulwark.config.ByteSize;
import bulwark.filter.Chain;
import bulwark.filter.Exchange;
import bulwark.filter.Filter;
import bulwark.routing.PathNormalizer;
import bulwark.routing.PathPattern;
import bulwark.routing.Route;
import bulwark.routing.RouteResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.HostAndPort;

/**
 * The entry of the data plane, one per event loop (verticle): reads the snapshot once, validates
 * Host and path, matches the route, and hands the request to its filters and then upstream ({@link
 * HttpCall}, {@link UpstreamCall}). Every per-request event runs on this event loop, where the
 * loop's upstream clients, and so their connection pools, live ({@link UpstreamClients}). Bodies
 * stream both ways with back-pressure and are never aggregated.
 */
public final class ProxyHandler implements Handler<HttpServerRequest> {
  private final Loop loop;

  public ProxyHandler(Vertx vertx, DataPlane plane) {
    this.loop =
        new Loop(
            vertx,
            vertx.getOrCreateContext(),
            plane,
            plane.telemetry(),
            new UpstreamClients(vertx, plane.telemetry()));
  }

  @Override
  public void handle(HttpServerRequest req) {
    req.pause();
    DataPlane plane = loop.plane();
    plane.requestStarted();
    Snapshot snap = plane.snapshot();
    String peer = req.remoteAddress() == null ? "unknown" : req.remoteAddress().hostAddress();
    String givenId = req.getHeader(H.X_REQUEST_ID);
    String requestId = RequestIds.accept(givenId);
    Exchange ex =
        new Exchange(
            req, requestId, requestId == givenId, snap.forwarding().clientIp(peer, req.headers()));
    HttpCall call = new HttpCall(loop, ex);
    loop.telemetry().requestStarted(ex);
    if (plane.draining()) LocalReply.closeAfterResponse(ex);
    ex.response().closeHandler(v -> call.clientGone());
    req.exceptionHandler(e -> call.clientGone());
    try {
      HostAndPort authority;
      try {
        authority = RequestHost.of(req);
      } catch (RequestHost.Invalid e) {
        LocalReply.closeAfterResponse(ex);
        LocalReply.problem(call, 400, "Bad Request", e.getMessage());
        return;
      }
      String host = authority == null ? null : authority.host();
      String method = req.method().name();
      String path;
      try {
        path = PathNormalizer.decoded(req.path());
      } catch (PathNormalizer.RejectedPath e) {
        LocalReply.problem(call, 400, "Bad Request", e.getMessage());
        return;
      }
      ex.path(path);
      RouteResult result = snap.table().lookup(method, host, path, req.headers(), req.query());
      switch (result) {
        case RouteResult.NotFound nf ->
            LocalReply.problem(call, 404, "Not Found", "no route matches " + method + " " + path);
        case RouteResult.MethodNotAllowed m -> {
          ex.response().putHeader("Allow", String.join(", ", m.allowed()));
          LocalReply.problem(
              call,
              405,
              "Method Not Allowed",
              method
                  + " is not allowed on "
                  + path
                  + "; allowed: "
                  + String.join(", ", m.allowed()));
        }
        case RouteResult.NotAcceptable na ->
            LocalReply.send(
                call,
                406,
                new LocalReply.ProblemBody(
                    "Not Acceptable",
                    "API version '"
                        + na.requested()
                        + "' does not exist for "
                        + path
                        + "; available: "
                        + String.join(", ", na.available()),
                    "availableVersions",
                    na.available()));
        case RouteResult.Found f -> route(call, snap, f, peer, authority);
      }
    } catch (RuntimeException e) {
      call.internalError(e);
    }
  }

  private void route(
      HttpCall call, Snapshot snap, RouteResult.Found f, String peer, HostAndPort authority) {
    Exchange ex = call.exchange();
    HttpServerRequest req = ex.request();
    Route route = f.route();
    Filter[] chain = snap.chains()[route.id()];
    ex.route(route, chain, f.params());
    long max = snap.maxBodyBytes();
    String cl = req.getHeader(H.CONTENT_LENGTH);
    if (max > 0 && cl != null) {
      long len;
      try {
        len = Long.parseLong(cl.trim());
      } catch (NumberFormatException e) {
        len = -1;
      }
      if (len < 0) {
        LocalReply.closeAfterResponse(ex);
        LocalReply.problem(call, 400, "Bad Request", "invalid Content-Length");
        return;
      }
      if (len > max) {
        LocalReply.closeAfterResponse(ex);
        LocalReply.problem(
            call,
            413,
            "Content Too Large",
            "the request body is larger than " + ByteSize.human(max));
        return;
      }
    }
    // routing, the filters and the upstream all see the one normalised path (re-encoded for the
    // wire)
    String path = ex.path();
    if (!route.stripPrefix().isEmpty()) path = strip(path, route.stripPrefix());
    if (route.rewrite() != null) path = PathPattern.expand(route.rewrite(), ex.params());
    String q = req.query();
    path = PathNormalizer.encode(path);
    ex.upstreamUri(q == null ? path : path + "?" + q);
    boolean ws = isWebSocket(req);
    String hostHeader = authority == null ? null : authority.toString();
    call.webSocket(ws);
    ex.upstreamHeaders(
        snap.forwarding()
            .upstreamHeaders(
                req.headers(),
                req.version() != HttpVersion.HTTP_2,
                peer,
                req.isSSL(),
                hostHeader,
                ex.requestId(),
                ws));
    if (chain.length == 0) {
      call.next(ex);
    } else {
      Chain.run(chain, 0, ex, call).onFailure(call::internalError);
    }
  }

  /** Removes as many leading segments as the prefix has (the prefix may hold {params}). */
  static String strip(String path, String prefix) {
    int segs = 0;
    for (int i = 0; i < prefix.length(); i++) if (prefix.charAt(i) == '/') segs++;
    int idx = 0;
    for (int s = 0; s < segs; s++) {
      int next = path.indexOf('/', idx + 1);
      if (next < 0) return "/";
      idx = next;
    }
    return path.substring(idx);
  }

  private static boolean isWebSocket(HttpServerRequest req) {
    if (req.version() == HttpVersion.HTTP_2) return false;
    String up = req.getHeader(H.UPGRADE);
    String conn = req.getHeader(H.CONNECTION);
    return up != null
        && up.equalsIgnoreCase("websocket")
        && conn != null
        && conn.toLowerCase().contains("upgrade");
  }

  /**
   * Closes the pools of upstreams replaced by a reload, each once its last exchange has ended.
   * Called on this handler's event loop after every reload.
   */
  public void retireClients() {
    loop.clients().retire();
  }

  public Future<Void> closeClients() {
    return loop.clients().close();
  }
}
