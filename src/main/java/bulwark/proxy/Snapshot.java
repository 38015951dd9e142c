package bulwark.proxy;

import bulwark.config.BulwarkConfig;
import bulwark.routing.RouteTable;

/**
 * Everything a request reads from config, published as one immutable object: the route table and
 * the listener-level rules. A reload swaps the whole snapshot.
 */
public record Snapshot(BulwarkConfig config, RouteTable table, ForwardingHeaders forwarding, long maxBodyBytes) {}
