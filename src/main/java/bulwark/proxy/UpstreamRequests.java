package bulwark.proxy;

import bulwark.config.UpstreamProtocol;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.target.Target;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;

/** How an attempt's upstream request and, when one is needed, its new connection are made. */
final class UpstreamRequests {
  private UpstreamRequests() {}

  /** The connection is already chosen: the options only make the request line and Host. */
  static RequestOptions options(
      UpstreamRuntime up, Target t, HttpMethod method, String uri, MultiMap headers) {
    return new RequestOptions()
        .setMethod(method)
        .setHost(t.ssl() && up.serverName() != null ? up.serverName() : t.host())
        .setPort(t.port())
        .setSsl(t.ssl())
        .setURI(uri)
        .setHeaders(headers);
  }

  /** How a new connection to t is made: to the target's address, the TLS server name as SNI. */
  static HttpConnectOptions connectOptions(UpstreamRuntime up, Target t) {
    HttpConnectOptions co =
        new HttpConnectOptions()
            .setHost(t.host())
            .setPort(t.port())
            .setSsl(t.ssl())
            .setConnectTimeout(up.connectMillis());
    // the target's address is made once, not per request. A TLS server name of its own is sent as
    // SNI while the connection goes to the target's address
    if (!t.ssl()) co.setServer(t.address());
    else if (up.serverName() != null) co.setServer(t.address()).setHost(up.serverName());
    switch (protocol(up)) {
      case HTTP1 -> {} // the client's own: HTTP/1.1
      case H2C, H2 -> co.setProtocolVersion(HttpVersion.HTTP_2);
      // ALPN offers h2 and http/1.1 (the client's versions); a plain target gets HTTP/1.1
      case AUTO -> co.setProtocolVersion(t.ssl() ? null : HttpVersion.HTTP_1_1);
    }
    return co;
  }

  /** A tunnel's connection (a WebSocket upgrade) is HTTP/1.1 whatever the upstream's protocol. */
  static HttpConnectOptions tunnelOptions(UpstreamRuntime up, Target t) {
    HttpConnectOptions co = connectOptions(up, t);
    if (protocol(up).multiplexed()) co.setProtocolVersion(HttpVersion.HTTP_1_1);
    return co;
  }

  /** The upstream's protocol: http1 when the config has none. */
  static UpstreamProtocol protocol(UpstreamRuntime up) {
    UpstreamProtocol p = up.config().protocol();
    return p == null ? UpstreamProtocol.HTTP1 : p;
  }

  /**
   * Whether the upstream request goes chunked: the client's was ({@code chunkedRequest}: it came
   * with Transfer-Encoding), or it is an HTTP/2 one that may have a body and has no Content-Length.
   */
  static boolean chunked(HttpServerRequest req, boolean chunkedRequest) {
    return chunkedRequest
        || (req.version() == HttpVersion.HTTP_2
            && req.getHeader(H.CONTENT_LENGTH) == null
            && mayHaveBody(req.method()));
  }

  /**
   * Whether a request with this method may carry a body (an HTTP/2 one without Content-Length is
   * then sent chunked).
   */
  static boolean mayHaveBody(HttpMethod m) {
    return !(m == HttpMethod.GET
        || m == HttpMethod.HEAD
        || m == HttpMethod.DELETE
        || m == HttpMethod.OPTIONS
        || m == HttpMethod.TRACE);
  }
}
