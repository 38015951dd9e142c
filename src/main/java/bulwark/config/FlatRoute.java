package bulwark.config;

import java.util.ArrayList;
import java.util.List;

/**
 * A route with its enclosing groups folded in: the full path pattern, the prefix to strip, and the
 * middlewares of every group then of the route, in order. {@code path} is the config path of the
 * route, e.g. {@code groups[0].routes[1]}.
 */
public record FlatRoute(
    String path,
    RouteConfig route,
    String pattern,
    String stripPrefix,
    List<String> middlewares,
    int order) {

  /** Top-level routes first, then groups depth-first, in declaration order. */
  public static List<FlatRoute> flatten(BulwarkConfig cfg) {
    List<FlatRoute> out = new ArrayList<>();
    for (int i = 0; i < cfg.routes().size(); i++) {
      RouteConfig r = cfg.routes().get(i);
      out.add(
          new FlatRoute(
              "routes[" + i + "]",
              r,
              r.match() == null ? null : r.match().path(),
              "",
              r.middlewares(),
              out.size()));
    }
    for (int i = 0; i < cfg.groups().size(); i++) {
      group(cfg.groups().get(i), "groups[" + i + "]", "", "", List.of(), out);
    }
    return out;
  }

  private static void group(
      GroupConfig g,
      String path,
      String prefix,
      String strip,
      List<String> mws,
      List<FlatRoute> out) {
    String gp = g.prefix() == null ? "" : trimSlash(g.prefix());
    String full = prefix + gp;
    String fullStrip = g.stripPrefix() ? full : strip;
    List<String> all = new ArrayList<>(mws);
    all.addAll(g.middlewares());
    for (int i = 0; i < g.routes().size(); i++) {
      RouteConfig r = g.routes().get(i);
      List<String> rm = new ArrayList<>(all);
      rm.addAll(r.middlewares());
      String pattern =
          r.match() == null || r.match().path() == null ? null : join(full, r.match().path());
      out.add(
          new FlatRoute(
              path + ".routes[" + i + "]", r, pattern, fullStrip, List.copyOf(rm), out.size()));
    }
    for (int i = 0; i < g.groups().size(); i++) {
      group(g.groups().get(i), path + ".groups[" + i + "]", full, fullStrip, all, out);
    }
  }

  private static String trimSlash(String p) {
    return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
  }

  private static String join(String prefix, String path) {
    if (prefix.isEmpty()) return path;
    if (path.equals("/")) return prefix;
    return prefix + (path.startsWith("/") ? path : "/" + path);
  }
}
