package bulwark.routing;

import bulwark.filter.Filter;
import bulwark.upstream.UpstreamRuntime;
import java.util.List;
import java.util.Set;

/**
 * A compiled route: immutable, shared by all event loops. {@code filters} is the pre-built chain
 * (enclosing groups' middlewares first).
 */
public record Route(
    String name,
    String configPath,
    String pattern,
    Set<String> methods,
    HostMatcher host,
    List<ValueMatcher> headers,
    List<ValueMatcher> query,
    String version,
    UpstreamRuntime upstream,
    Filter[] filters,
    List<String> middlewareNames,
    String stripPrefix,
    String rewrite,
    long timeoutMillis,
    int order,
    boolean retryNonIdempotent,
    Fallback fallback) {

  public boolean allowsMethod(String method) {
    return methods.isEmpty() || methods.contains(method) || (method.equals("HEAD") && methods.contains("GET"));
  }
}
