package bulwark.proxy;

import bulwark.observe.Telemetry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * What every request of one event loop shares: the loop, the gateway's data plane and telemetry,
 * and the loop's upstream clients. One per {@link ProxyHandler}.
 */
record Loop(
    Vertx vertx, Context context, DataPlane plane, Telemetry telemetry, UpstreamClients clients) {}
