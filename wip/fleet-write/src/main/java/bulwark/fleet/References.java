package bulwark.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Who uses an upstream or a middleware in a routing model: the routes (top level or inside a group)
 * that forward to the upstream or fall back to it, and the routes and groups that list the
 * middleware. A delete of a resource in use is refused with these names.
 */
final class References {
  private References() {}

  /**
   * The users of {@code kind/name}, as "routes/NAME", "groups/NAME" or "groups/G: route R"; empty
   * for a kind nothing refers to by name.
   */
  static List<String> users(RoutingModel model, String kind, String name) {
    if (!kind.equals("upstreams") && !kind.equals("middlewares")) return List.of();
    boolean upstream = kind.equals("upstreams");
    List<String> out = new ArrayList<>();
    new TreeMap<>(model.trees("routes"))
        .forEach(
            (r, tree) -> {
              if (uses(tree, upstream, name)) out.add("routes/" + r);
            });
    new TreeMap<>(model.trees("groups"))
        .forEach((g, tree) -> group(tree, "groups/" + g, upstream, name, out));
    return out;
  }

  private static void group(
      JsonNode group, String where, boolean upstream, String name, List<String> out) {
    if (!upstream && lists(group.get("middlewares"), name)) out.add(where);
    for (JsonNode r : iter(group.get("routes")))
      if (uses(r, upstream, name)) out.add(where + ": route " + text(r.get("name")));
    int i = 0;
    for (JsonNode g : iter(group.get("groups"))) {
      String label = g.hasNonNull("name") ? text(g.get("name")) : "groups[" + i + "]";
      group(g, where + " > " + label, upstream, name, out);
      i++;
    }
  }

  private static boolean uses(JsonNode route, boolean upstream, String name) {
    if (upstream) {
      JsonNode fb = route.get("fallback");
      return name.equals(text(route.get("upstream")))
          || (fb != null && name.equals(text(fb.get("upstream"))));
    }
    return lists(route.get("middlewares"), name);
  }

  private static boolean lists(JsonNode list, String name) {
    for (JsonNode n : iter(list)) if (name.equals(text(n))) return true;
    return false;
  }

  private static Iterable<JsonNode> iter(JsonNode n) {
    return n != null && n.isArray() ? n : List.of();
  }

  private static String text(JsonNode n) {
    return n == null || n.isNull() ? null : n.asText();
  }

  static Map<String, JsonNode> none() {
    return Map.of();
  }
}
