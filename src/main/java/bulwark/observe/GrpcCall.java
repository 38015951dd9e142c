package bulwark.observe;

/**
 * What observers see of a gRPC request (content type application/grpc or application/grpc+FORMAT):
 * the service and method named by its path ({@code /pkg.Service/Method}), and its final status.
 *
 * @param service the fully qualified service ({@code pkg.Service}); null when the path is not of
 *     the form {@code /Service/Method} with names of letters, digits, '_' and '.' only
 * @param method the method ({@code Method}); null when {@code service} is
 * @param status the final {@code grpc-status} (0 to 16): the upstream's (from its trailers, or its
 *     trailers-only response), or the gateway's own error's; {@link #CANCELLED} when the client
 *     left first; {@link #NONE} when the stream ended with none (the gateway reset it after the
 *     upstream failed mid-response, or the upstream answered without one). A code outside 0-16 is
 *     {@link #UNKNOWN}, as a gRPC client reads it
 */
public record GrpcCall(String service, String method, int status) {
  /** No grpc-status was seen. */
  public static final int NONE = -1;

  public static final int OK = 0;
  public static final int CANCELLED = 1;
  public static final int UNKNOWN = 2;

  /** The canonical names of the codes 0 to 16 (grpc/doc/statuscodes.md). */
  private static final String[] NAMES = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED"
  };

  /** Number of codes (0 to 16). */
  public static final int CODES = NAMES.length;

  /** The canonical name of {@code status} (OK, NOT_FOUND...), or "none" for {@link #NONE}. */
  public static String name(int status) {
    return status >= 0 && status < NAMES.length ? NAMES[status] : "none";
  }

  /**
   * A {@code grpc-status} value as a code: 0 to 16, {@link #UNKNOWN} for any other number or a
   * malformed value (as gRPC clients read it), {@link #NONE} when absent.
   */
  public static int parseStatus(String v) {
    if (v == null) return NONE;
    v = v.trim();
    if (v.isEmpty() || v.length() > 3) return UNKNOWN;
    int n = 0;
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < '0' || c > '9') return UNKNOWN;
      n = n * 10 + (c - '0');
    }
    return n < CODES ? n : UNKNOWN;
  }

  /**
   * The gRPC view of a request with this path and final status: service and method parsed from
   * {@code /Service/Method} (both null when it is not of that form).
   */
  public static GrpcCall of(String path, int status) {
    if (path != null && path.length() > 3 && path.charAt(0) == '/') {
      int slash = path.indexOf('/', 1);
      if (slash > 1
          && slash < path.length() - 1
          && name(path, 1, slash)
          && name(path, slash + 1, path.length()))
        return new GrpcCall(path.substring(1, slash), path.substring(slash + 1), status);
    }
    return new GrpcCall(null, null, status);
  }

  /** Whether path[from, to) is a protobuf name: letters, digits, '_' and '.', at most 256. */
  private static boolean name(String path, int from, int to) {
    if (to - from > 256) return false;
    for (int i = from; i < to; i++) {
      char c = path.charAt(i);
      if (!(c >= 'a' && c <= 'z'
          || c >= 'A' && c <= 'Z'
          || c >= '0' && c <= '9'
          || c == '_'
          || c == '.')) return false;
    }
    return true;
  }
}
