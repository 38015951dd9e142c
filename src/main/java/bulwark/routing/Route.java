package bulwark.routing;

import bulwark.config.GrpcMethod;
import bulwark.upstream.UpstreamRuntime;
import java.util.List;
import java.util.Set;

/**
 * A compiled route: immutable, shared by all event loops. {@code middlewareNames} are its
 * middlewares (enclosing groups' first); the pre-built filter chain of those lives in the snapshot
 * the route was compiled into, at index {@code id} (filters sit above routing in the package
 * graph).
 *
 * @param id the route's position in config order ({@code FlatRoute.flatten}), 0 to routes - 1
 * @param upstream the route's upstream, or with backends the heaviest one ({@link
 *     Backends#primary}): where one name stands for the route
 * @param backends how a request picks its upstream ({@link Backends#select})
 * @param mirror where a sampled copy of the route's requests goes, or null (no mirror)
 * @param grpcWeb gRPC-Web requests go upstream as gRPC, their responses come back as gRPC-Web
 * @param grpcSafeMethods the gRPC methods the route lets its upstream's retry policy retry (as
 *     idempotent); empty: none
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
    int id,
    List<String> middlewareNames,
    String stripPrefix,
    String rewrite,
    long timeoutMillis,
    int order,
    boolean retryNonIdempotent,
    Fallback fallback,
    Backends backends,
    Mirror mirror,
    boolean grpcWeb,
    List<GrpcMethod> grpcSafeMethods) {

  /** A route to one upstream, without a split or a mirror. */
  public Route(
      String name,
      String configPath,
      String pattern,
      Set<String> methods,
      HostMatcher host,
      List<ValueMatcher> headers,
      List<ValueMatcher> query,
      String version,
      UpstreamRuntime upstream,
      int id,
      List<String> middlewareNames,
      String stripPrefix,
      String rewrite,
      long timeoutMillis,
      int order,
      boolean retryNonIdempotent,
      Fallback fallback) {
    this(
        name,
        configPath,
        pattern,
        methods,
        host,
        headers,
        query,
        version,
        upstream,
        id,
        middlewareNames,
        stripPrefix,
        rewrite,
        timeoutMillis,
        order,
        retryNonIdempotent,
        fallback,
        new Backends.One(upstream, true),
        null,
        false,
        List.of());
  }

  /** Whether a gRPC request with this path calls a method the route marks safe to retry. */
  public boolean grpcSafe(String path) {
    for (int i = 0; i < grpcSafeMethods.size(); i++)
      if (grpcSafeMethods.get(i).matches(path)) return true;
    return false;
  }

  public boolean allowsMethod(String method) {
    return methods.isEmpty()
        || methods.contains(method)
        || (method.equals("HEAD") && methods.contains("GET"));
  }
}
