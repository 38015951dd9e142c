package bulwark.routing;

import bulwark.config.FallbackConfig;
import bulwark.upstream.UpstreamRuntime;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * What a route answers while its upstream's circuit breaker is open: a static response, or the
 * request sent to another upstream. Immutable; the body is kept as bytes and wrapped per response.
 */
public record Fallback(
    int status, Map<String, String> headers, byte[] body, UpstreamRuntime upstream) {

  static Fallback of(FallbackConfig c, Map<String, UpstreamRuntime> upstreams) {
    if (c == null) return null;
    if (c.upstream() != null)
      return new Fallback(0, Map.of(), new byte[0], upstreams.get(c.upstream()));
    byte[] body = c.body() == null ? new byte[0] : c.body().getBytes(StandardCharsets.UTF_8);
    return new Fallback(c.status(), c.headers(), body, null);
  }
}
