package bulwark.filter;

import bulwark.routing.Route;
import bulwark.upstream.HashOn;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.target.Target;
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
  private final HttpServerRequest request;
  private final HttpServerResponse response;
  private final long startNanos;
  private final String requestId;
  private final boolean requestIdFromClient;
  private final String clientIp;
  private Route route;
  private Filter[] chain;
  private String path;
  private Map<String, String> params = Map.of();
  private String consumer;
  private Map<String, Object> claims;
  private MultiMap upstreamHeaders;
  private String upstreamUri;
  private Target target;
  private UpstreamRuntime upstream;
  private int tryNo;
  private int retries;
  private boolean answered;
  private long heldNanos;

  /** The index in {@link #chain} of the filter running now (set by {@link Chain}). */
  int filterIndex = -1;

  private String traceId;
  private String spanId;
  private List<Consumer<MultiMap>> responseHeaderHooks;
  private Object[] attrs;
  private Replies replies;
  private BodyEncoding responseEncoding;
  private BodyEncoder responseEncoder;
  private BodyDecoder requestDecoder;

  /** How the proxy ends an exchange with an answer of the gateway's own. */
  public interface Replies {
    /** A problem+json error. */
    void reject(int status, String title, String detail);

    /** A plain, bodiless answer (a CORS preflight). */
    void respond(int status);
  }

  /**
   * @param requestIdFromClient the request id is the client's own X-Request-Id (not one Bulwark
   *     made): it may need redacting when logged
   */
  public Exchange(
      HttpServerRequest request, String requestId, boolean requestIdFromClient, String clientIp) {
    this.request = request;
    this.response = request.response();
    this.requestId = requestId;
    this.requestIdFromClient = requestIdFromClient;
    this.clientIp = clientIp;
    this.startNanos = System.nanoTime();
  }

  public Exchange(HttpServerRequest request, String requestId, String clientIp) {
    this(request, requestId, false, clientIp);
  }

  public HttpServerRequest request() {
    return request;
  }

  /** The client response; headers a filter sets on it are kept on every answer. */
  public HttpServerResponse response() {
    return response;
  }

  public long startNanos() {
    return startNanos;
  }

  public String requestId() {
    return requestId;
  }

  public boolean requestIdFromClient() {
    return requestIdFromClient;
  }

  @Override
  public String clientIp() {
    return clientIp;
  }

  /** The matched route; null before routing (and when nothing matched). */
  public Route route() {
    return route;
  }

  /** The matched route's filter chain (from the serving snapshot); null before routing. */
  public Filter[] chain() {
    return chain;
  }

  /** Set by the proxy once the route matched, with its filter chain and path parameters. */
  public void route(Route route, Filter[] chain, Map<String, String> params) {
    this.route = route;
    this.chain = chain;
    this.params = params;
  }

  /**
   * The request path as routing matched it: percent-decoded once, dot segments resolved, empty
   * segments collapsed ({@link bulwark.routing.PathNormalizer}). Filters that decide by path must
   * use this, never {@code request().path()} (the raw form, which can say {@code /a/%2e%2e/admin}).
   */
  @Override
  public String path() {
    return path;
  }

  /** Set by the proxy once the path is normalised. */
  public void path(String path) {
    this.path = path;
  }

  public Map<String, String> params() {
    return params;
  }

  /**
   * Who is calling, once an auth filter has identified them (API-key consumer, basic-auth user,
   * token subject); null before.
   */
  public String consumer() {
    return consumer;
  }

  public void consumer(String consumer) {
    this.consumer = consumer;
  }

  /** Verified token claims, set by the JWT or introspection filter; null when none. */
  public Map<String, Object> claims() {
    return claims;
  }

  public void claims(Map<String, Object> claims) {
    this.claims = claims;
  }

  /** Headers sent upstream: hop-by-hop removed, forwarding headers set; filters may change them. */
  public MultiMap upstreamHeaders() {
    return upstreamHeaders;
  }

  public void upstreamHeaders(MultiMap headers) {
    this.upstreamHeaders = headers;
  }

  /** Path and query sent upstream, after stripPrefix and rewrite; filters may change it. */
  public String upstreamUri() {
    return upstreamUri;
  }

  public void upstreamUri(String uri) {
    this.upstreamUri = uri;
  }

  /**
   * The target of the current (or last) try, for the telemetry try hooks; null before one was sent.
   */
  public Target target() {
    return target;
  }

  /** The upstream of the current try (the route's, or its fallback's); null before one was sent. */
  public UpstreamRuntime upstream() {
    return upstream;
  }

  /** Tries started so far (1 for the first). */
  public int tryNo() {
    return tryNo;
  }

  public int retries() {
    return retries;
  }

  /** Set by the proxy before each try, for the telemetry try hooks. */
  public void tryStarted(UpstreamRuntime upstream, Target target, int tryNo) {
    this.upstream = upstream;
    this.target = target;
    this.tryNo = tryNo;
  }

  /** Set by the proxy when a try is retried. */
  public void retried(int retries) {
    this.retries = retries;
  }

  /**
   * Time the filters held the request on purpose (a fault delay) before it went upstream: the route
   * timeout counts it, so the upstream gets only what is left of it.
   */
  public long heldNanos() {
    return heldNanos;
  }

  /** Called by a filter that held the request for {@code nanos} (see {@link #heldNanos}). */
  public void held(long nanos) {
    heldNanos += nanos;
  }

  /** The exchange has an answer (or the client left): a filter that resumes later must stop. */
  public boolean answered() {
    return answered;
  }

  /** Set by the proxy as it answers (or the client leaves). */
  public void markAnswered() {
    this.answered = true;
  }

  /**
   * The index in {@link #chain()} of the filter running now (the one that answered, after an
   * answer); -1 when none.
   */
  public int filterIndex() {
    return filterIndex;
  }

  /** W3C trace id of the server span, for the access log; null when not traced. */
  public String traceId() {
    return traceId;
  }

  /** Span id of the server span; null when not traced. */
  public String spanId() {
    return spanId;
  }

  /** Set by tracing when the request starts. */
  public void traceIds(String traceId, String spanId) {
    this.traceId = traceId;
    this.spanId = spanId;
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

  /**
   * Asks for the upstream's response body to be encoded (compressed) on its way to the client;
   * replaces an earlier request. Answers of the gateway's own are never encoded.
   */
  public void encodeResponse(BodyEncoding encoding) {
    this.responseEncoding = encoding;
  }

  /**
   * Called by the proxy once, with the response head about to go out: the encoder of the body, or
   * null when it goes as it is.
   */
  public BodyEncoder beginResponseBody(int status, MultiMap headers) {
    if (responseEncoding == null) return null;
    if (responseEncoder != null) responseEncoder.close();
    responseEncoder = responseEncoding.begin(status, headers);
    return responseEncoder;
  }

  /** The response body's encoder, once one started (for metrics); null when none. */
  public BodyEncoder responseEncoder() {
    return responseEncoder;
  }

  /**
   * Asks for the client's request body to be decoded on its way upstream; the filter that asks has
   * fixed the upstream headers (Content-Encoding, Content-Length) to match.
   */
  public void decodeRequest(BodyDecoder decoder) {
    this.requestDecoder = decoder;
  }

  /** The request body's decoder; null when the body goes up as it came. */
  public BodyDecoder requestDecoder() {
    return requestDecoder;
  }

  /** Called by the proxy when the exchange ends, however it ends: frees the codecs' state. */
  public void closeBodyCodecs() {
    if (responseEncoder != null) responseEncoder.close();
    if (requestDecoder != null) requestDecoder.close();
  }

  /** Set by the proxy when the exchange starts; {@link #reject} and {@link #respond} call it. */
  public void replies(Replies replies) {
    this.replies = replies;
  }

  /**
   * Answers the request now with an RFC 9457 problem+json (headers already set on {@link
   * #response()} are kept) and ends the exchange as every gateway error does: the request is marked
   * done, the in-flight count is released and the access log line is written. A filter that calls
   * this does not call {@code next}. Must run on the request's event loop.
   */
  public void reject(int status, String title, String detail) {
    if (replies == null) throw new IllegalStateException("no replies set on this exchange");
    replies.reject(status, title, detail);
  }

  /**
   * Answers the request now with {@code status} and no body (headers already set on {@link
   * #response} are kept, response-header hooks are not run) and ends the exchange as {@link
   * #reject} does. A filter that calls this does not call {@code next}. Must run on the request's
   * event loop.
   */
  public void respond(int status) {
    if (replies == null) throw new IllegalStateException("no replies set on this exchange");
    replies.respond(status);
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

  @Override
  public String rawQuery() {
    return request.query();
  }

  public void applyResponseHeaderHooks(MultiMap headers) {
    if (responseHeaderHooks == null) return;
    for (Consumer<MultiMap> h : responseHeaderHooks) h.accept(headers);
  }
}
