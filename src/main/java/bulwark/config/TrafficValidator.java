package bulwark.config;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Checks of a route's traffic management: upstream or backends (exactly one), weights, canary
 * rules, stickyOn and mirror, each error with its field path.
 */
final class TrafficValidator {
  static final int MAX_WEIGHT = 1000;

  private final ConfigErrors err;

  TrafficValidator(ConfigErrors err) {
    this.err = err;
  }

  void route(RouteConfig r, String p, Set<String> upstreams) {
    boolean split = !r.backends().isEmpty();
    if (r.upstream() != null && split)
      err.error(p + ".backends", "set either upstream or backends, not both");
    if (r.upstream() == null && !split)
      err.error(p + ".upstream", "required: set upstream, or backends for a weighted split");
    Set<String> serving = new HashSet<>();
    if (r.upstream() != null) serving.add(r.upstream());
    long sum = 0;
    for (int i = 0; i < r.backends().size(); i++) {
      BackendConfig b = r.backends().get(i);
      String bp = p + ".backends[" + i + "]";
      if (b == null) continue;
      if (b.upstream() != null) {
        known(b.upstream(), bp + ".upstream", upstreams);
        if (!serving.add(b.upstream()))
          err.error(bp + ".upstream", "upstream '" + b.upstream() + "' is listed twice");
      }
      err.check(
          b.weight() >= 0 && b.weight() <= MAX_WEIGHT,
          bp + ".weight",
          b.weight() + " is not a weight from 0 to " + MAX_WEIGHT);
      if (b.weight() > 0) sum += b.weight();
    }
    if (split && sum == 0)
      err.error(
          p + ".backends", "the weights sum to 0: at least one backend needs a weight above 0");
    for (int i = 0; i < r.canary().size(); i++) {
      CanaryConfig c = r.canary().get(i);
      String cp = p + ".canary[" + i + "]";
      if (c == null) continue;
      if (c.upstream() != null) {
        known(c.upstream(), cp + ".upstream", upstreams);
        serving.add(c.upstream());
      }
      CanaryMatchConfig m = c.match();
      if (m == null) continue;
      if (m.headers().isEmpty() && m.cookies().isEmpty() && m.query().isEmpty())
        err.error(cp + ".match", "a canary rule needs a header, cookie or query predicate");
      predicates(m.headers(), cp + ".match.headers", true);
      predicates(m.cookies(), cp + ".match.cookies", true);
      predicates(m.query(), cp + ".match.query", false);
    }
    if (r.stickyOn() != null && !split)
      err.error(p + ".stickyOn", "stickyOn needs backends (a route to one upstream has no split)");
    if (r.mirror() != null) mirror(r.mirror(), p + ".mirror", upstreams, serving);
  }

  /**
   * @param serving the upstreams that answer the route's requests (upstream, backends, canary)
   */
  private void mirror(MirrorConfig m, String p, Set<String> upstreams, Set<String> serving) {
    if (m.upstream() != null
        && known(m.upstream(), p + ".upstream", upstreams)
        && serving.contains(m.upstream()))
      err.error(
          p + ".upstream",
          "upstream '"
              + m.upstream()
              + "' serves this route (its upstream, a backend or a canary rule's): a mirror must be another upstream");
    err.check(m.maxInFlight() >= 1, p + ".maxInFlight", m.maxInFlight() + " must be 1 or more");
  }

  private boolean known(String name, String path, Set<String> upstreams) {
    if (upstreams.contains(name)) return true;
    err.error(path, "unknown upstream '" + name + "'" + Suggest.didYouMean(name, upstreams));
    return false;
  }

  private void predicates(Map<String, String> m, String p, boolean token) {
    m.forEach(
        (k, v) -> {
          if (token) err.check(Syntax.token(k), p + "." + k, "not a valid name");
          if (v != null && v.startsWith("regex:")) {
            try {
              Pattern.compile(v.substring(6));
            } catch (PatternSyntaxException e) {
              err.error(p + "." + k, "bad regex: " + e.getDescription());
            }
          }
        });
  }
}
