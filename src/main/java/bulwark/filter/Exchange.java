package bulwark.filter;

import bulwark.routing.Route;
import bulwark.upstream.HashOn;
import bulwark.upstream.Target;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Per-request state. Lives on one event loop for its whole life, so it needs no synchronisation.
 * Filters keep their own state under typed {@link Key}s.
 */
public final class Exchange implements HashOn.Source {
  public final HttpServerRequest request;
  public final HttpServerResponse response;
  public final long startNanos;
  public final String requestId;
  /** The request id is the client's own X-Request-Id (not one Bulwark made): it may need redacting when logged. */
  public boolean requestIdFromClient;
  public final String clientIp;
  public Route route;
  /**
   * The request path as routing matched it: percent-decoded once, dot segments resolved, empty segments
   * collapsed ({@link bulwark.routing.PathNormalizer}). Filters that decide by path must use this, never
   * {@code request.path()} (the raw form, which can say {@code /a/%2e%2e/admin}).
   */
  public String path;
  /** Who is calling, once an auth filter has identified them (API-key consumer, basic-auth user, token subject); null before. */
  public String consumer;
  /** Verified token claims, set by the JWT or introspection filter; null when none. */
  public Map<String, Object> claims;
  public Map<String, String> params = Map.of();
  /** Headers sent upstream: hop-by-hop removed, forwarding headers set; filters may change them. */
  public MultiMap upstreamHeaders;
  /** Path and query sent upstream, after stripPrefix and rewrite. */
  public String upstreamUri;
  public Target target;
  /** The upstream of the current try: the route's, or its fallback upstream. */
  public bulwark.upstream.UpstreamRuntime upstream;
  /** Tries started so far (1 for the first); callbacks of an earlier try compare and ignore themselves. */
  public int tryNo;
  public int retries;
  /** Retries the budget refused. */
  public int retriesDenied;
  /** A try is out: its outcome has not been recorded yet. */
  public boolean tryActive;
  /**
   * The current (or next, during a retry's backoff) admitted attempt: it holds the permits
   * (breaker, in-flight place) and is released once, when the next one replaces it or the
   * exchange ends. Null until the request was admitted.
   */
  public bulwark.upstream.Attempt attempt;
  /** The response head has been passed on toward the client: no retry from here. */
  public boolean responseStarted;
  public int headStatus;
  /** The upstream's head has been copied onto the client response (at its first body bytes, or its end). */
  public boolean headCopied;
  /**
   * How the last try failed, as metrics name it (connect, reset, timeout, body_reset,
   * body_timeout); null when it did not fail or answered with a status. For the access log.
   */
  public String upstreamError;
  /** The client's request body has started to be read (by the first try). */
  public boolean bodyConsumed;
  /** The request may be replayed: retries are configured and the method (or route) allows it. */
  public boolean replay;
  /** The request body kept for a replay, under the cap; null when none or too large. */
  public io.vertx.core.buffer.Buffer replayBody;
  public long retryTimer = -1;
  public long upstreamStartNanos;
  public long upstreamEndNanos;
  public HttpClientRequest upstreamRequest;
  /** The pooled client this exchange uses; released once when the exchange ends. */
  public bulwark.proxy.UpstreamClient upstreamClient;
  /** The current try's upstream connection, held until the exchange lets go of it. */
  public bulwark.proxy.UpstreamClient.Conn upstreamConnection;
  public long totalTimer = -1;
  public long responseTimer = -1;
  public long bodyBytes;
  /** The body-read timer (server.limits.bodyReadTimeout), -1 when none; the last time body bytes came. */
  public long bodyTimer = -1;
  public long lastBodyNanos;
  /** True while the request is paused because the upstream cannot take more (that time is not the client's). */
  public boolean bodyHeldBack;
  /** The client sent Transfer-Encoding (read before hop-by-hop headers are removed). */
  public boolean chunkedRequest;
  /** A WebSocket (HTTP/1.1 Upgrade) request. */
  public boolean webSocket;
  /** Response bytes received from the upstream in the current read, not yet written to the client. */
  public io.vertx.core.buffer.Buffer pendingChunk;
  /** Set once the exchange has an outcome; later events are ignored. */
  public boolean done;
  public boolean finished;
  public int status;
  /** The index in {@code route.filters()} of the filter running now (the one that rejected, after a rejection). */
  public int filterIndex = -1;
  /** Title and detail of the gateway's own error answer, when {@link #reject} (or the proxy) answered. */
  public String rejectTitle;
  public String rejectDetail;
  /** Tracing state of this exchange (owned by bulwark.observe.tracing); null when not traced. */
  public Object trace;
  /** W3C trace id and span id of the server span, for the access log; null when not traced. */
  public String traceId;
  public String spanId;
  private List<Consumer<MultiMap>> responseHeaderHooks;
  private Object[] attrs;
  private Rejecter rejecter;
  private Responder responder;

  /** How the proxy ends an exchange with an error of the gateway's own. */
  @FunctionalInterface
  public interface Rejecter {
    void reject(Exchange exchange, int status, String title, String detail);
  }

  /** How the proxy ends an exchange with a plain, bodiless answer of the gateway's own (a CORS preflight). */
  @FunctionalInterface
  public interface Responder {
    void respond(Exchange exchange, int status);
  }

  public Exchange(HttpServerRequest request, String requestId, String clientIp) {
    this.request = request;
    this.response = request.response();
    this.requestId = requestId;
    this.clientIp = clientIp;
    this.startNanos = System.nanoTime();
  }

  @SuppressWarnings("unchecked")
  public <T> T get(Key<T> key) {
    return attrs == null || key.index >= attrs.length ? null : (T) attrs[key.index];
  }

  public <T> void put(Key<T> key, T value) {
    if (attrs == null) attrs = new Object[Math.max(8, key.index + 1)];
    if (key.index >= attrs.length) attrs = Arrays.copyOf(attrs, key.index + 8);
    attrs[key.index] = value;
  }

  /** Runs on the response headers before they are sent to the client. */
  public void onResponseHeaders(Consumer<MultiMap> hook) {
    if (responseHeaderHooks == null) responseHeaderHooks = new ArrayList<>(2);
    responseHeaderHooks.add(hook);
  }

  /** Set by the proxy when the exchange starts; {@link #reject} calls it. */
  public void rejecter(Rejecter rejecter) {
    this.rejecter = rejecter;
  }

  /**
   * Answers the request now with an RFC 9457 problem+json (headers already set on {@link #response}
   * are kept) and ends the exchange as every gateway error does: the request is marked done, the
   * in-flight count is released and the access log line is written. A filter that calls this does
   * not call {@code next}. Must run on the request's event loop.
   */
  public void reject(int status, String title, String detail) {
    if (rejecter == null) throw new IllegalStateException("no rejecter set on this exchange");
    rejecter.reject(this, status, title, detail);
  }

  /** Set by the proxy when the exchange starts; {@link #respond} calls it. */
  public void responder(Responder responder) {
    this.responder = responder;
  }

  /**
   * Answers the request now with {@code status} and no body (headers already set on
   * {@link #response} are kept, response-header hooks are not run) and ends the exchange as
   * {@link #reject} does. A filter that calls this does not call {@code next}. Must run on the
   * request's event loop.
   */
  public void respond(int status) {
    if (responder == null) throw new IllegalStateException("no responder set on this exchange");
    responder.respond(this, status);
  }

  @Override
  public String clientIp() {
    return clientIp;
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public String header(String name) {
    return request.getHeader(name);
  }

  @Override
  public String cookie(String name) {
    var c = request.getCookie(name);
    return c == null ? null : c.getValue();
  }

  public void applyResponseHeaderHooks(MultiMap headers) {
    if (responseHeaderHooks == null) return;
    for (Consumer<MultiMap> h : responseHeaderHooks) h.accept(headers);
  }
}
