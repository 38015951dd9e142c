package bulwark.remediation;

import bulwark.config.BulwarkConfig;
import bulwark.filter.ratelimit.RateLimitRegistry;
import bulwark.routing.RouteTable;
import bulwark.upstream.target.TargetStates;

/**
 * What remediation acts on (implemented by the server): the serving config and route table, read
 * only, and the two pieces of live state that outlive reloads and that actions change: target
 * availability and rate-limit tightening.
 */
public interface RuntimeView {
  BulwarkConfig config();

  RouteTable table();

  /** Live state per target address (an ejection sets a target unavailable). */
  TargetStates states();

  /** Rate-limit buckets (an action tightens or relaxes a middleware). */
  RateLimitRegistry rateLimits();
}
