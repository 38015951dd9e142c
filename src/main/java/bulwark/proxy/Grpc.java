package bulwark.proxy;

import bulwark.observe.GrpcCall;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * What the gateway knows of gRPC (over HTTP/2, grpc/PROTOCOL-HTTP2.md): which requests are gRPC,
 * the client's deadline ({@code grpc-timeout}), and the gateway's own errors as gRPC statuses: HTTP
 * 200 with a trailers-only response carrying {@code grpc-status} and {@code grpc-message}, never a
 * problem+json body, which a gRPC client cannot read.
 */
final class Grpc {
  static final CharSequence CONTENT_TYPE = HttpHeaders.createOptimized("application/grpc");
  static final CharSequence GRPC_STATUS = HttpHeaders.createOptimized("grpc-status");
  static final CharSequence GRPC_MESSAGE = HttpHeaders.createOptimized("grpc-message");
  static final CharSequence GRPC_TIMEOUT = HttpHeaders.createOptimized("grpc-timeout");

  // the status codes the gateway answers with (grpc/doc/statuscodes.md)
  static final int UNKNOWN = 2;
  static final int DEADLINE_EXCEEDED = 4;
  static final int PERMISSION_DENIED = 7;
  static final int RESOURCE_EXHAUSTED = 8;
  static final int UNIMPLEMENTED = 12;
  static final int INTERNAL = 13;
  static final int UNAVAILABLE = 14;
  static final int UNAUTHENTICATED = 16;

  private Grpc() {}

  /**
   * Whether the request is gRPC: its content type is application/grpc or application/grpc+FORMAT
   * (gRPC-Web's application/grpc-web is not).
   */
  static boolean is(HttpServerRequest req) {
    String ct = req.getHeader(HttpHeaders.CONTENT_TYPE);
    if (ct == null || !ct.regionMatches(true, 0, "application/grpc", 0, 16)) return false;
    return ct.length() == 16 || ct.charAt(16) == '+' || ct.charAt(16) == ';';
  }

  /**
   * The gRPC status in a response's head: a trailers-only response (a gRPC error that is the whole
   * response, one HEADERS frame that ends the stream) carries {@code grpc-status} there; -1 when
   * the head has none (a normal response's status comes in its trailers) or it is not a number.
   */
  static int trailersOnlyStatus(HttpClientResponse resp) {
    String v = resp.getHeader(GRPC_STATUS);
    if (v == null || v.isEmpty() || v.length() > 2) return -1;
    int n = 0;
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < '0' || c > '9') return -1;
      n = n * 10 + (c - '0');
    }
    return n;
  }

  /**
   * The client's deadline in milliseconds from {@code grpc-timeout} (1 to 8 digits and a unit: H,
   * M, S, m, u, n), at least 1; 0 when there is none or it is malformed.
   */
  static long timeoutMillis(String v) {
    if (v == null || v.length() < 2 || v.length() > 9) return 0;
    long n = 0;
    for (int i = 0; i < v.length() - 1; i++) {
      char c = v.charAt(i);
      if (c < '0' || c > '9') return 0;
      n = n * 10 + (c - '0');
    }
    long ms =
        switch (v.charAt(v.length() - 1)) {
          case 'H' -> n * 3_600_000;
          case 'M' -> n * 60_000;
          case 'S' -> n * 1000;
          case 'm' -> n;
          case 'u' -> n / 1000;
          case 'n' -> n / 1_000_000;
          default -> -1;
        };
    return ms < 0 ? 0 : Math.max(1, ms);
  }

  /**
   * The gRPC status for an HTTP status of the gateway's own: no route is UNIMPLEMENTED, no target
   * (or none reachable) UNAVAILABLE, a timeout DEADLINE_EXCEEDED, a rate limit or a too large body
   * RESOURCE_EXHAUSTED, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, a bad request INTERNAL (as gRPC
   * maps HTTP statuses); anything else UNKNOWN.
   */
  static int status(int http) {
    return switch (http) {
      case 400, 500 -> INTERNAL;
      case 401 -> UNAUTHENTICATED;
      case 403 -> PERMISSION_DENIED;
      case 404, 405, 406 -> UNIMPLEMENTED;
      case 408, 504 -> DEADLINE_EXCEEDED;
      case 413, 429 -> RESOURCE_EXHAUSTED;
      case 502, 503 -> UNAVAILABLE;
      default -> UNKNOWN;
    };
  }

  /**
   * The upstream's final grpc-status, read when its response ended: from its trailers, or from its
   * head when it answered trailers-only; {@link GrpcCall#NONE} when it sent none.
   */
  /**
   * Whether a target's gRPC status says the target failed: UNKNOWN (2), INTERNAL (13), UNAVAILABLE
   * (14) and DATA_LOSS (15), the statuses gRPC maps from server errors (HTTP 500 and 503). Health,
   * the breaker and the adaptive limit count them as a 5xx, though the response is HTTP 200 (as
   * Envoy's outlier detection maps them). Not DEADLINE_EXCEEDED (the client's own deadline often
   * causes it; the gateway's route timeout counts as a timeout anyway), nor the statuses a client
   * causes (INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED...).
   */
  static boolean targetFailed(int grpcStatus) {
    return grpcStatus == 2 || grpcStatus == 13 || grpcStatus == 14 || grpcStatus == 15;
  }

  static int finalStatus(HttpClientResponse cresp) {
    String v = cresp.trailers().get(GRPC_STATUS);
    if (v == null) v = cresp.headers().get(GRPC_STATUS);
    return GrpcCall.parseStatus(v);
  }

  /** The grpc-status among configured headers (a route's static fallback), any case. */
  static int statusHeader(Map<String, String> headers) {
    for (Map.Entry<String, String> e : headers.entrySet())
      if (e.getKey().equalsIgnoreCase("grpc-status")) return GrpcCall.parseStatus(e.getValue());
    return GrpcCall.NONE;
  }

  /**
   * Answers with a trailers-only gRPC error: HTTP 200, content-type application/grpc, {@code
   * grpc-status} and {@code grpc-message} (percent-encoded) in the one HEADERS frame that ends the
   * stream. Headers already set on the response (X-Request-Id, Retry-After) stay.
   */
  static void reply(HttpServerResponse resp, int httpStatus, String message, String requestId) {
    resp.setStatusCode(200);
    resp.headers()
        .set(HttpHeaders.CONTENT_TYPE, CONTENT_TYPE)
        .set(GRPC_STATUS, Integer.toString(status(httpStatus)))
        .set(GRPC_MESSAGE, encode(message));
    if (requestId != null) resp.headers().set(H.X_REQUEST_ID, requestId);
    resp.end();
  }

  /** grpc-message's percent-encoding: UTF-8, with bytes outside 0x20-0x7E and '%' escaped. */
  static String encode(String m) {
    if (m == null) return "";
    byte[] b = m.getBytes(StandardCharsets.UTF_8);
    StringBuilder sb = new StringBuilder(b.length + 16);
    for (byte x : b) {
      int c = x & 0xFF;
      if (c >= 0x20 && c <= 0x7E && c != '%') sb.append((char) c);
      else
        sb.append('%')
            .append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
    }
    return sb.toString();
  }
}
