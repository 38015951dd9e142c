package bulwark.fleet;

import bulwark.config.ConfigError;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps the file-shaped error paths of a routing tree built by {@link RoutingModel#toRoutingTree()}
 * back to the etcd keys they came from: {@code routes[3].upstream} becomes {@code
 * <prefix>/routes/orders} with the message {@code upstream: ...}. A path that does not point into
 * one resource (the bootstrap's sections, a whole list) is kept as it is.
 */
final class ErrorKeys {
  private static final Pattern INDEXED = Pattern.compile("^(routes|groups)\\[(\\d+)\\](.*)$");

  private final ResourceLayout layout;
  private final List<String> routes;
  private final List<String> groups;
  private final Set<String> upstreams;
  private final Set<String> middlewares;

  /** {@code routes} and {@code groups}: the names in the order of the tree's lists. */
  ErrorKeys(
      ResourceLayout layout,
      List<String> routes,
      List<String> groups,
      Set<String> upstreams,
      Set<String> middlewares) {
    this.layout = layout;
    this.routes = routes;
    this.groups = groups;
    this.upstreams = upstreams;
    this.middlewares = middlewares;
  }

  ConfigError map(ConfigError e) {
    String p = e.path();
    Matcher m = INDEXED.matcher(p);
    if (m.matches()) {
      List<String> names = m.group(1).equals("routes") ? routes : groups;
      int i;
      try {
        i = Integer.parseInt(m.group(2));
      } catch (NumberFormatException x) {
        return e;
      }
      if (i >= names.size()) return e;
      return keyed(layout.key(m.group(1), names.get(i)), inner(m.group(3)), e.message());
    }
    for (String kind : List.of("upstreams", "middlewares")) {
      String name = mapName(p, kind, kind.equals("upstreams") ? upstreams : middlewares);
      if (name != null)
        return keyed(
            layout.key(kind, name),
            inner(p.substring(kind.length() + 1 + name.length())),
            e.message());
    }
    if (p.equals("versioning")
        || p.startsWith("versioning.")
        || p.equals("remediation")
        || p.startsWith("remediation."))
      return keyed(layout.key(ResourceKinds.SETTINGS, null), p, e.message());
    return e;
  }

  /** The longest name of {@code names} that {@code path} ({@code kind.NAME...}) points into. */
  private static String mapName(String path, String kind, Set<String> names) {
    if (!path.startsWith(kind + ".")) return null;
    String rest = path.substring(kind.length() + 1);
    String best = null;
    for (String n : names) {
      boolean into =
          rest.equals(n)
              || (rest.startsWith(n)
                  && (rest.charAt(n.length()) == '.' || rest.charAt(n.length()) == '['));
      if (into && (best == null || n.length() > best.length())) best = n;
    }
    return best;
  }

  /** The rest of a path after the resource's part, without a leading dot. */
  private static String inner(String rest) {
    return rest.startsWith(".") ? rest.substring(1) : rest;
  }

  private static ConfigError keyed(String key, String inner, String message) {
    return new ConfigError(key, inner.isEmpty() ? message : inner + ": " + message);
  }
}
