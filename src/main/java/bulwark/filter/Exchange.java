package bulwark.filter;

import bulwark.routing.Route;
import bulwark.upstream.HashOn;
import bulwark.upstream.Target;
import io.vertx.core.MultiMap;
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
  /**
   * The current try, for the telemetry try hooks (set by the proxy before each): its target, its
   * upstream (the route's, or its fallback's), its number (1 for the first) and the retries so far.
   * What a finished request came to is in its {@link bulwark.observe.RequestRecord}.
   */
  public Target target;
  public bulwark.upstream.UpstreamRuntime upstream;
  public int tryNo;
  public int retries;
  /** Set once the exchange has an answer (or the client left); a filter that resumes later stops. */
  public boolean done;
  /** The index in {@code route.filters()} of the filter running now (the one that rejected, after a rejection). */
  public int filterIndex = -1;
  /** Tracing state of this exchange (owned by bulwark.observe.tracing); null when not traced. */
  public Object trace;
  /** W3C trace id and span id of the server span, for the access log; null when not traced. */
  public String traceId;
  public String spanId;
  private List<Consumer<MultiMap>> responseHeaderHooks;
  private Object[] attrs;
  private Replies replies;

  /** How the proxy ends an exchange with an answer of the gateway's own. */
  public interface Replies {
    /** A problem+json error. */
    void reject(int status, String title, String detail);

    /** A plain, bodiless answer (a CORS preflight). */
    void respond(int status);
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

  /** Set by the proxy when the exchange starts; {@link #reject} and {@link #respond} call it. */
  public void replies(Replies replies) {
    this.replies = replies;
  }

  /**
   * Answers the request now with an RFC 9457 problem+json (headers already set on {@link #response}
   * are kept) and ends the exchange as every gateway error does: the request is marked done, the
   * in-flight count is released and the access log line is written. A filter that calls this does
   * not call {@code next}. Must run on the request's event loop.
   */
  public void reject(int status, String title, String detail) {
    if (replies == null) throw new IllegalStateException("no replies set on this exchange");
    replies.reject(status, title, detail);
  }

  /**
   * Answers the request now with {@code status} and no body (headers already set on
   * {@link #response} are kept, response-header hooks are not run) and ends the exchange as
   * {@link #reject} does. A filter that calls this does not call {@code next}. Must run on the
   * request's event loop.
   */
  public void respond(int status) {
    if (replies == null) throw new IllegalStateException("no replies set on this exchange");
    replies.respond(status);
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
