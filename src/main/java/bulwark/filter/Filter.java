package bulwark.filter;

import io.vertx.core.Future;

/**
 * One step of a route's pipeline. Built once per route when the table is compiled and shared by
 * every event loop, so implementations must be thread-safe; per-request state goes in the {@link
 * Exchange}. A filter that answers the request itself does not call {@code next}.
 */
@FunctionalInterface
public interface Filter {
  Future<Void> handle(Exchange exchange, Chain next);
}
