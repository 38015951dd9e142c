package bulwark.proxy;

import bulwark.config.BulwarkConfig;
import bulwark.filter.Filter;
import bulwark.routing.RouteTable;

/**
 * Everything a request reads from config, published as one immutable object: the route table and
 * the listener-level rules. A reload swaps the whole snapshot.
 *
 * @param chains the pre-built filter chain of each route, by {@code Route.id()} (one array read per
 *     request; the chains live here rather than in the route because filters sit above routing)
 */
public record Snapshot(
    BulwarkConfig config,
    RouteTable table,
    Filter[][] chains,
    ForwardingHeaders forwarding,
    long maxBodyBytes) {}
