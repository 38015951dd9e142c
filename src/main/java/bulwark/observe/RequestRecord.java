package bulwark.observe;

import bulwark.routing.Route;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.target.Target;

/**
 * What observers see of a finished request: built once by the proxy when the request ends, and
 * never changed after. Metrics, tracing, the audit log and the access log read it instead of the
 * live exchange.
 *
 * @param method the request method
 * @param path the raw request path, as the client sent it (redact before logging)
 * @param status what the client got: the upstream's status, the gateway's own, 101 for a tunnel,
 *     499 when the client left first
 * @param durationNanos from the request's arrival to its end
 * @param requestIdFromClient the request id is the client's own X-Request-Id (it may need
 *     redacting)
 * @param route the matched route, null when none matched
 * @param consumer who called, when an auth filter identified them; null otherwise
 * @param filterIndex the index in the route's chain ({@code Exchange.chain()}) of the filter that
 *     answered, -1 when none did
 * @param rejectDetail the detail of the gateway's own error answer, null when it gave none
 * @param upstream the upstream of the last try (the route's or its fallback's); null when none was
 *     chosen
 * @param target the target of the last try; null when none was sent
 * @param upstreamNanos from going upstream to the response head (or to the end, when none came); -1
 *     when the request never went upstream
 * @param upstreamError how the last try failed (connect, reset, timeout, body_reset, body_timeout);
 *     null when it did not fail or answered with a status
 * @param traceId W3C trace id of the server span, null when not traced
 * @param spanId its span id, null when not traced
 * @param fault the fault a fault middleware injected: delay, abort or delay,abort; null when none
 * @param grpc the gRPC service, method and final status of a gRPC request (content type
 *     application/grpc or application/grpc+FORMAT); null for any other request
 */
public record RequestRecord(
    String method,
    String path,
    int status,
    long durationNanos,
    String clientIp,
    String userAgent,
    String requestId,
    boolean requestIdFromClient,
    Route route,
    String consumer,
    int filterIndex,
    String rejectDetail,
    UpstreamRuntime upstream,
    Target target,
    long upstreamNanos,
    String upstreamError,
    String traceId,
    String spanId,
    String fault,
    GrpcCall grpc) {}
