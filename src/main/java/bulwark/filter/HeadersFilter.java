package bulwark.filter;

import bulwark.config.HeaderOps;
import bulwark.config.HeadersConfig;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;

/** The {@code headers} middleware: set, add and remove request and response headers. */
public final class HeadersFilter implements Filter {
  private final HeaderOps request;
  private final HeaderOps response;

  public HeadersFilter(HeadersConfig config) {
    this.request = config.request();
    this.response = config.response();
  }

  @Override
  public Future<Void> handle(Exchange ex, Chain next) {
    if (request != null) apply(request, ex.upstreamHeaders());
    if (response != null) ex.onResponseHeaders(h -> apply(response, h));
    return next.next(ex);
  }

  static void apply(HeaderOps ops, MultiMap h) {
    for (String name : ops.remove()) h.remove(name);
    ops.set().forEach(h::set);
    ops.add().forEach(h::add);
  }
}
