package bulwark.observe.metrics;

import bulwark.observe.GrpcCall;
import bulwark.observe.RequestRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code bulwark_grpc_requests_total{route, service, method, grpc_status}}: gRPC requests by their
 * final status. Service and method come from the client's path, so their values are bounded: only a
 * request that matched a route records them, and each route records at most {@link
 * #MAX_METHODS_PER_ROUTE} distinct service/method pairs, the first ones seen; any later pair, an
 * unmatched request, or a path that is not {@code /Service/Method} counts as service and method
 * {@link #OTHER}. {@code grpc_status} is a canonical code name (OK, NOT_FOUND...) or {@code none}.
 * Recording a request seen before allocates nothing: counters are cached by route, then by path.
 */
final class GrpcMeters {
  /** Distinct service/method pairs one route records before the rest count as {@link #OTHER}. */
  static final int MAX_METHODS_PER_ROUTE = 64;

  static final String OTHER = "_OTHER";

  private final MeterRegistry registry;
  private final Map<String, Route> routes = new ConcurrentHashMap<>();
  private final Route unmatched;

  GrpcMeters(MeterRegistry registry) {
    this.registry = registry;
    this.unmatched = new Route(GatewayMetrics.UNMATCHED);
  }

  void record(RequestRecord r) {
    GrpcCall g = r.grpc();
    Route rt;
    if (r.route() == null) {
      rt = unmatched;
    } else {
      String name = r.route().name();
      rt = routes.get(name);
      if (rt == null) rt = routes.computeIfAbsent(name, Route::new);
    }
    ByStatus bs = r.route() == null || g.service() == null ? rt.other() : rt.method(r.path(), g);
    bs.counter(g.status()).increment();
  }

  /** One route's counters, by request path ({@code /Service/Method}), capped. */
  private final class Route {
    final String name;
    final Map<String, ByStatus> byPath = new ConcurrentHashMap<>();
    private volatile ByStatus other;

    Route(String name) {
      this.name = name;
    }

    ByStatus method(String path, GrpcCall g) {
      ByStatus bs = byPath.get(path);
      return bs != null ? bs : add(path, g);
    }

    private synchronized ByStatus add(String path, GrpcCall g) {
      ByStatus bs = byPath.get(path);
      if (bs != null) return bs;
      if (byPath.size() >= MAX_METHODS_PER_ROUTE) return other();
      bs = new ByStatus(name, g.service(), g.method());
      byPath.put(path, bs);
      return bs;
    }

    ByStatus other() {
      ByStatus o = other;
      if (o == null) {
        synchronized (this) {
          if (other == null) other = new ByStatus(name, OTHER, OTHER);
          o = other;
        }
      }
      return o;
    }
  }

  /** One route, service and method's counters, by status (index 0-16, and 17 for none). */
  private final class ByStatus {
    final String route, service, method;
    final Counter[] counters = new Counter[GrpcCall.CODES + 1];

    ByStatus(String route, String service, String method) {
      this.route = route;
      this.service = service;
      this.method = method;
    }

    Counter counter(int status) {
      int i = status == GrpcCall.NONE ? GrpcCall.CODES : status;
      Counter c = counters[i];
      if (c == null) {
        // a racing thread may build it too: the registry hands both the same counter
        c =
            Counter.builder("bulwark.grpc.requests")
                .description(
                    "gRPC requests by route, service, method and final grpc-status (service and method bounded per route)")
                .tags(
                    "route",
                    route,
                    "service",
                    service,
                    "method",
                    method,
                    "grpc_status",
                    GrpcCall.name(status))
                .register(registry);
        counters[i] = c;
      }
      return c;
    }
  }
}
