package bulwark.proxy;

import bulwark.filter.Exchange;
import bulwark.filter.fault.FaultFilter;
import bulwark.observe.GrpcCall;
import bulwark.observe.RequestRecord;
import bulwark.upstream.UpstreamRuntime;
import io.vertx.core.http.HttpServerRequest;

/**
 * What a finished {@link UpstreamCall} leaves for observers, built once when the request ends.
 *
 * @param upstream the upstream of the last attempt (the route's or its fallback's); null when the
 *     request was refused before one was chosen
 * @param tries attempts sent
 * @param retriesDenied retries the retry budget refused
 * @param startNanos when the request went upstream (System.nanoTime), 0 when it never did
 * @param endNanos when the response head (or the 101) came, 0 when none came
 * @param error how the last attempt failed (connect, reset, timeout, body_reset, body_timeout),
 *     null when it did not fail or answered with a status
 */
record UpstreamSummary(
    UpstreamRuntime upstream,
    int tries,
    int retries,
    int retriesDenied,
    long startNanos,
    long endNanos,
    String error) {
  /**
   * What observers see of the finished request, built once at its end ({@code u} null when it never
   * went upstream; {@code status} 0 when the response's own status tells; {@code grpc} null for a
   * request that is not gRPC).
   */
  static RequestRecord record(
      Exchange ex, int status, String rejectDetail, UpstreamSummary u, long now, GrpcCall grpc) {
    HttpServerRequest req = ex.request();
    long upstreamNanos =
        u == null || u.startNanos() == 0
            ? -1
            : (u.endNanos() == 0 ? now : u.endNanos()) - u.startNanos();
    return new RequestRecord(
        req.method().name(),
        req.path(),
        status == 0 ? ex.response().getStatusCode() : status,
        now - ex.startNanos(),
        ex.clientIp(),
        req.getHeader(H.USER_AGENT),
        ex.requestId(),
        ex.requestIdFromClient(),
        ex.route(),
        ex.consumer(),
        ex.filterIndex(),
        rejectDetail,
        u == null ? null : u.upstream(),
        ex.target(),
        upstreamNanos,
        u == null ? null : u.error(),
        ex.traceId(),
        ex.spanId(),
        ex.get(FaultFilter.INJECTED),
        grpc);
  }
}
