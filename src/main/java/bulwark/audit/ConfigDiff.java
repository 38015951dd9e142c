package bulwark.audit;

import bulwark.config.BulwarkConfig;
import bulwark.config.FlatRoute;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * What a reload changed: routes, upstreams and middlewares added, removed and modified (by name),
 * and other sections changed.
 */
record ConfigDiff(Names routes, Names upstreams, Names middlewares, List<String> sections) {

  /** Names added, removed and modified, each sorted. */
  record Names(List<String> added, List<String> removed, List<String> modified) {
    boolean empty() {
      return added.isEmpty() && removed.isEmpty() && modified.isEmpty();
    }
  }

  /**
   * A route as far as a change matters: its config and what enclosing groups add; not its position.
   */
  private record RouteShape(
      Object route, String pattern, String stripPrefix, List<String> middlewares) {}

  static ConfigDiff of(BulwarkConfig before, BulwarkConfig after) {
    Function<BulwarkConfig, Map<String, Object>> routes =
        c -> {
          Map<String, Object> m = new LinkedHashMap<>();
          for (FlatRoute r : FlatRoute.flatten(c))
            m.put(
                r.route().name(),
                new RouteShape(r.route(), r.pattern(), r.stripPrefix(), r.middlewares()));
          return m;
        };
    List<String> sections = new ArrayList<>();
    section(sections, "server", before.server(), after.server());
    section(sections, "admin", before.admin(), after.admin());
    section(sections, "observability", before.observability(), after.observability());
    section(sections, "cluster", before.cluster(), after.cluster());
    section(sections, "versioning", before.versioning(), after.versioning());
    section(sections, "remediation", before.remediation(), after.remediation());
    return new ConfigDiff(
        names(routes.apply(before), routes.apply(after)),
        names(before.upstreams(), after.upstreams()),
        names(before.middlewares(), after.middlewares()),
        sections);
  }

  private static void section(List<String> out, String name, Object a, Object b) {
    if (!Objects.equals(a, b)) out.add(name);
  }

  private static Names names(Map<String, ?> before, Map<String, ?> after) {
    TreeSet<String> added = new TreeSet<>(), removed = new TreeSet<>(), modified = new TreeSet<>();
    after.forEach(
        (k, v) -> {
          if (!before.containsKey(k)) added.add(k);
          else if (!Objects.equals(before.get(k), v)) modified.add(k);
        });
    before
        .keySet()
        .forEach(
            k -> {
              if (!after.containsKey(k)) removed.add(k);
            });
    return new Names(List.copyOf(added), List.copyOf(removed), List.copyOf(modified));
  }
}
