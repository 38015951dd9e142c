package bulwark.routing;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** The outcome of a route lookup; a switch over it must cover every case. */
public sealed interface RouteResult {
  record Found(Route route, Map<String, String> params) implements RouteResult {}

  record NotFound() implements RouteResult {}

  /** The path matched but not the method: 405 with Allow. */
  record MethodNotAllowed(Set<String> allowed) implements RouteResult {}

  /** The path matched versioned routes but none of the requested version: 406. */
  record NotAcceptable(String requested, List<String> available) implements RouteResult {}

  NotFound NOT_FOUND = new NotFound();
}
