package bulwark.routing;

import bulwark.config.CanaryConfig;
import bulwark.upstream.HashOn;
import bulwark.upstream.UpstreamRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Canary rules in front of a route's split: the first rule whose headers, cookies and query
 * parameters all match sends the request to its upstream; otherwise the split decides. A canary
 * upstream with no usable target falls over to the split's backends (when failover is on).
 */
final class CanaryBackends implements Backends {
  /** One rule: every matcher must hold. */
  record Rule(
      List<ValueMatcher> headers,
      List<ValueMatcher> cookies,
      List<ValueMatcher> query,
      UpstreamRuntime upstream) {
    boolean matches(HashOn.Source r) {
      for (ValueMatcher m : headers) if (!m.matches(r.header(m.name()))) return false;
      for (ValueMatcher m : cookies) if (!m.matches(r.cookie(m.name()))) return false;
      if (query.isEmpty()) return true;
      Map<String, List<String>> q = RouteTable.parseQuery(r.rawQuery());
      for (ValueMatcher m : query) {
        List<String> vs = q.get(m.name());
        if (vs == null || vs.stream().noneMatch(m::matches)) return false;
      }
      return true;
    }
  }

  private final List<Rule> rules;
  private final Backends split;

  CanaryBackends(List<Rule> rules, Backends split) {
    this.rules = rules;
    this.split = split;
  }

  static CanaryBackends of(
      List<CanaryConfig> canary, Map<String, UpstreamRuntime> upstreams, Backends split) {
    List<Rule> rules = new ArrayList<>();
    for (CanaryConfig c : canary) {
      rules.add(
          new Rule(
              matchers(c.match().headers()),
              matchers(c.match().cookies()),
              matchers(c.match().query()),
              upstreams.get(c.upstream())));
    }
    return new CanaryBackends(List.copyOf(rules), split);
  }

  private static List<ValueMatcher> matchers(Map<String, String> m) {
    return m.entrySet().stream().map(e -> ValueMatcher.of(e.getKey(), e.getValue())).toList();
  }

  @Override
  public UpstreamRuntime select(HashOn.Source request) {
    for (Rule r : rules) if (r.matches(request)) return r.upstream();
    return split.select(request);
  }

  @Override
  public UpstreamRuntime failover(HashOn.Source request, List<UpstreamRuntime> tried) {
    return split.failover(request, tried);
  }

  @Override
  public UpstreamRuntime primary() {
    return split.primary();
  }

  @Override
  public List<Weighted> weights() {
    return split.weights();
  }
}
