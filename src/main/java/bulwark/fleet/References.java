package bulwark.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Who refers to whom in a routing model, by name: routes (top level or inside a group, at any
 * depth) name upstreams ({@code upstream}, {@code fallback.upstream}, {@code backends[].upstream},
 * {@code canary[].upstream}) and middlewares; groups name middlewares; the settings' remediation
 * rules name upstreams, middlewares and routes. Pure: reads trees in the file's shape.
 */
public final class References {
  private References() {}

  /** A resource one refers to. */
  public record Ref(String kind, String name) {}

  /**
   * Who uses {@code kind/name}, each as the resource and where inside it: {@code routes/orders},
   * {@code groups/api: routes[1]} (a route of the group), {@code settings: remediation.rules[0]}.
   * Empty when nothing does (groups are never referred to).
   */
  public static List<String> users(RoutingModel model, String kind, String name) {
    List<String> out = new ArrayList<>();
    for (String k : List.of("routes", "groups")) {
      model
          .trees(k)
          .forEach(
              (n, tree) -> {
                for (Found f : found(k, tree))
                  if (f.ref().equals(new Ref(kind, name)))
                    out.add(k + "/" + n + (f.where().isEmpty() ? "" : ": " + f.where()));
              });
    }
    JsonNode settings = model.settings();
    if (settings != null)
      for (Found f : found(ResourceKinds.SETTINGS, settings))
        if (f.ref().equals(new Ref(kind, name))) out.add("settings: " + f.where());
    return List.copyOf(new LinkedHashSet<>(out));
  }

  /** The resources {@code tree} (a resource of {@code kind}) names, each once. */
  public static Set<Ref> of(String kind, JsonNode tree) {
    Set<Ref> out = new LinkedHashSet<>();
    for (Found f : found(kind, tree)) out.add(f.ref());
    return out;
  }

  /** One reference and where in the resource it is ("" for the resource's own top level). */
  private record Found(Ref ref, String where) {}

  private static List<Found> found(String kind, JsonNode tree) {
    List<Found> out = new ArrayList<>();
    if (tree == null || !tree.isObject()) return out;
    switch (kind) {
      case "routes" -> route(tree, "", out);
      case "groups" -> group(tree, "", out);
      case ResourceKinds.SETTINGS -> rules(tree, out);
      default -> {}
    }
    return out;
  }

  private static void route(JsonNode r, String where, List<Found> out) {
    String at = where.isEmpty() ? "" : where + ".";
    name(r.get("upstream"), "upstreams", where, out);
    JsonNode fb = r.get("fallback");
    if (fb != null) name(fb.get("upstream"), "upstreams", at + "fallback", out);
    int i = 0;
    for (JsonNode b : list(r.get("backends")))
      name(b.get("upstream"), "upstreams", at + "backends[" + i++ + "]", out);
    i = 0;
    for (JsonNode c : list(r.get("canary")))
      name(c.get("upstream"), "upstreams", at + "canary[" + i++ + "]", out);
    for (JsonNode m : list(r.get("middlewares"))) name(m, "middlewares", where, out);
  }

  private static void group(JsonNode g, String where, List<Found> out) {
    String at = where.isEmpty() ? "" : where + ".";
    for (JsonNode m : list(g.get("middlewares"))) name(m, "middlewares", where, out);
    int i = 0;
    for (JsonNode r : list(g.get("routes"))) route(r, at + "routes[" + i++ + "]", out);
    i = 0;
    for (JsonNode sub : list(g.get("groups"))) group(sub, at + "groups[" + i++ + "]", out);
  }

  /** Remediation rules: a fixed name (not a {{ labels.NAME }} template) is a reference. */
  private static void rules(JsonNode settings, List<Found> out) {
    JsonNode rem = settings.get("remediation");
    if (rem == null) return;
    int i = 0;
    for (JsonNode rule : list(rem.get("rules"))) {
      String where = "remediation.rules[" + i++ + "]";
      name(rule.get("upstream"), "upstreams", where, out);
      name(rule.get("middleware"), "middlewares", where, out);
      name(rule.get("route"), "routes", where, out);
    }
  }

  private static void name(JsonNode n, String kind, String where, List<Found> out) {
    if (n == null || !n.isValueNode() || n.isNull()) return;
    String s = n.asText();
    if (s.isEmpty() || s.contains("{{")) return;
    out.add(new Found(new Ref(kind, s), where));
  }

  private static Iterable<JsonNode> list(JsonNode n) {
    return n != null && n.isArray() ? n : List.of();
  }
}
