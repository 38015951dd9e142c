package bulwark.observe.metrics;

import bulwark.filter.ratelimit.RateLimitCounts;
import bulwark.routing.RouteTable;
import java.util.Map;

/**
 * What the metrics read of the running gateway (implemented by the server): read-only, any thread.
 */
public interface MetricsView {
  /** Requests being served now, over every event loop. */
  long inFlight();

  /** Open client connections of the data listeners. */
  long clientConnections();

  /** The serving route table (with its upstreams), or null before the first one. */
  RouteTable table();

  /** Allowed and refused counts of each rateLimit middleware, by name. */
  Map<String, RateLimitCounts> rateLimitCounts();
}
