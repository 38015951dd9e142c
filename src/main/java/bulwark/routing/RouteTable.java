package bulwark.routing;

import bulwark.config.VersioningConfig;
import bulwark.upstream.UpstreamRuntime;
import io.vertx.core.MultiMap;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The immutable routing snapshot. A hot reload builds a new one off the event loop and publishes it
 * with one reference swap; each request reads the reference once.
 *
 * <p>Precedence: path specificity first (per segment, left to right: exact beats {param}, which
 * beats *, which beats **); then a route with a host beats one without; then declaration order.
 * Among the routes that match path, host, headers and query, the first that serves the requested
 * API version and allows the method wins. When none does: 405 if some route serves that version
 * (with other methods), else 406 if some route serves another version, else 404.
 */
public final class RouteTable {
  private final PathTree<Route> tree;
  private final List<Route> routes;
  private final Map<String, UpstreamRuntime> upstreams;
  private final String vendorPrefix;
  private final String defaultVersion;
  private final long generation;

  public RouteTable(
      List<Route> routes,
      Map<String, UpstreamRuntime> upstreams,
      VersioningConfig versioning,
      long generation) {
    this.routes = List.copyOf(routes);
    this.upstreams = Map.copyOf(upstreams);
    this.generation = generation;
    this.vendorPrefix = versioning == null ? null : "application/vnd." + versioning.vendor() + ".";
    this.defaultVersion = versioning == null ? null : versioning.defaultVersion();
    // within one path shape, routes with a host come first, then declaration order
    List<Route> sorted = new ArrayList<>(routes);
    sorted.sort(
        (a, b) ->
            a.host() != null && b.host() == null
                ? -1
                : a.host() == null && b.host() != null ? 1 : Integer.compare(a.order(), b.order()));
    PathTree.Builder<Route> b = PathTree.builder();
    for (Route r : sorted) b.add(r.pattern(), r);
    this.tree = b.build();
  }

  public List<Route> routes() {
    return routes;
  }

  public Map<String, UpstreamRuntime> upstreams() {
    return upstreams;
  }

  public long generation() {
    return generation;
  }

  /**
   * @param host the request host without port (may be null)
   * @param rawQuery the query string without '?', or null
   */
  public RouteResult lookup(
      String method, String host, String path, MultiMap headers, String rawQuery) {
    List<PathMatch<Route>> matches = tree.match(path);
    if (matches.isEmpty()) return RouteResult.NOT_FOUND;
    TreeSet<String> allowed = null;
    TreeSet<String> versions = null;
    String wanted = null;
    boolean versionParsed = false;
    Map<String, List<String>> query = null;
    for (int i = 0; i < matches.size(); i++) {
      PathMatch<Route> m = matches.get(i);
      Route r = m.value();
      if (r.host() != null && !r.host().matches(host)) continue;
      if (!r.headers().isEmpty() && !headersMatch(r, headers)) continue;
      if (!r.query().isEmpty()) {
        if (query == null) query = parseQuery(rawQuery);
        if (!queryMatches(r, query)) continue;
      }
      // the version first: only the routes that serve the requested version say which methods are
      // allowed
      if (r.version() != null) {
        if (!versionParsed) {
          wanted = requestedVersion(headers.get("Accept"));
          versionParsed = true;
        }
        String v = wanted != null ? wanted : defaultVersion;
        if (!r.version().equals(v)) {
          if (versions == null) versions = new TreeSet<>();
          versions.add(r.version());
          continue;
        }
      }
      if (!r.allowsMethod(method)) {
        if (allowed == null) allowed = new TreeSet<>();
        allowed.addAll(r.methods());
        if (r.methods().contains("GET")) allowed.add("HEAD");
        continue;
      }
      return new RouteResult.Found(r, m.params());
    }
    // a route serves the requested version here, but not with this method: 405, not 406
    if (allowed != null) return new RouteResult.MethodNotAllowed(allowed);
    if (versions != null)
      return new RouteResult.NotAcceptable(
          wanted != null ? wanted : defaultVersion, List.copyOf(versions));
    return RouteResult.NOT_FOUND;
  }

  /** The version named by {@code Accept: application/vnd.VENDOR.VERSION+json}, or null. */
  String requestedVersion(String accept) {
    if (accept == null || vendorPrefix == null) return null;
    int from = 0;
    while (from < accept.length()) {
      int comma = accept.indexOf(',', from);
      String part = (comma < 0 ? accept.substring(from) : accept.substring(from, comma)).trim();
      from = comma < 0 ? accept.length() : comma + 1;
      int semi = part.indexOf(';');
      if (semi >= 0) part = part.substring(0, semi).trim();
      if (part.regionMatches(true, 0, vendorPrefix, 0, vendorPrefix.length())
          && part.endsWith("+json")) {
        String v = part.substring(vendorPrefix.length(), part.length() - 5);
        if (!v.isEmpty()) return v;
      }
    }
    return null;
  }

  private static boolean headersMatch(Route r, MultiMap headers) {
    for (ValueMatcher vm : r.headers()) {
      boolean any = false;
      for (String v : headers.getAll(vm.name())) {
        if (vm.matches(v)) {
          any = true;
          break;
        }
      }
      if (!any) return false;
    }
    return true;
  }

  private static boolean queryMatches(Route r, Map<String, List<String>> query) {
    for (ValueMatcher vm : r.query()) {
      List<String> vs = query.get(vm.name());
      if (vs == null || vs.stream().noneMatch(vm::matches)) return false;
    }
    return true;
  }

  static Map<String, List<String>> parseQuery(String raw) {
    Map<String, List<String>> out = new java.util.HashMap<>();
    if (raw == null || raw.isEmpty()) return out;
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) continue;
      int eq = pair.indexOf('=');
      try {
        String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
      } catch (IllegalArgumentException e) {
        // a malformed escape never matches a predicate
      }
    }
    return out;
  }
}
