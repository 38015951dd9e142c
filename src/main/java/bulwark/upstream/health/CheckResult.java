package bulwark.upstream.health;

import io.vertx.core.json.JsonObject;

/**
 * The outcome of one active check.
 *
 * @param reached the target answered (HTTP, gRPC: a response head arrived; TCP: the connection
 *     opened)
 * @param passed the check passed (HTTP: an expected status; TCP: same as reached; gRPC: grpc-status
 *     0 and SERVING)
 * @param body the HTTP answer's JSON object, or null (none, not JSON, not an object, or over the
 *     cap)
 * @param detail a short description for logs and the admin API: the status, or the error
 */
public record CheckResult(boolean reached, boolean passed, JsonObject body, String detail) {

  public static CheckResult passed(String detail, JsonObject body) {
    return new CheckResult(true, true, body, detail);
  }

  /** The target answered, but not as expected (an unexpected status). */
  public static CheckResult failed(String detail, JsonObject body) {
    return new CheckResult(true, false, body, detail);
  }

  /** No answer: refused, reset or timed out. */
  public static CheckResult unreachable(String detail) {
    return new CheckResult(false, false, null, detail);
  }
}
