package bulwark.proxy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.Collection;

/**
 * RFC 9457 problem details, the body of every error Bulwark itself produces. Never a stack trace.
 */
public final class Problem {
  public static final String CONTENT_TYPE = "application/problem+json";

  private Problem() {}

  public static String json(
      int status,
      String title,
      String detail,
      String requestId,
      String instance,
      String extraKey,
      Collection<String> extraValues) {
    StringBuilder sb = new StringBuilder(256);
    sb.append("{\"type\":\"about:blank\",\"title\":");
    quote(sb, title);
    sb.append(",\"status\":").append(status);
    sb.append(",\"detail\":");
    quote(sb, detail);
    if (instance != null) {
      sb.append(",\"instance\":");
      quote(sb, instance);
    }
    if (requestId != null) {
      sb.append(",\"requestId\":");
      quote(sb, requestId);
    }
    if (extraKey != null) {
      sb.append(",\"").append(extraKey).append("\":[");
      boolean first = true;
      for (String v : extraValues) {
        if (!first) sb.append(',');
        quote(sb, v);
        first = false;
      }
      sb.append(']');
    }
    return sb.append('}').toString();
  }

  /**
   * Sends a problem response unless the response has already started. Returns false if it could
   * not.
   */
  public static boolean send(
      HttpServerResponse resp,
      int status,
      String title,
      String detail,
      String requestId,
      String instance) {
    return send(resp, status, title, detail, requestId, instance, null, null);
  }

  public static boolean send(
      HttpServerResponse resp,
      int status,
      String title,
      String detail,
      String requestId,
      String instance,
      String extraKey,
      Collection<String> extraValues) {
    if (resp.headWritten() || resp.ended() || resp.closed()) return false;
    Buffer body =
        Buffer.buffer(json(status, title, detail, requestId, instance, extraKey, extraValues));
    resp.setStatusCode(status);
    resp.headers().set("Content-Type", CONTENT_TYPE).set("Cache-Control", "no-store");
    if (requestId != null) resp.headers().set("X-Request-Id", requestId);
    resp.end(body);
    return true;
  }

  static void quote(StringBuilder sb, String s) {
    if (s == null) {
      sb.append("null");
      return;
    }
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
          else sb.append(c);
        }
      }
    }
    sb.append('"');
  }
}
