package bulwark.observe.metrics;

import bulwark.observe.MirrorDrop;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The meters of traffic mirroring (routes[].mirror), by route and mirror upstream: copies sampled,
 * copies answered by status class, copies dropped by reason. Every sampled copy is counted in
 * requests and then in exactly one of responses or dropped. Built on first use and cached, so
 * recording allocates nothing.
 */
final class MirrorMeters {
  private static final String[] CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  private static final MirrorDrop[] REASONS = MirrorDrop.values();

  private final MeterRegistry registry;
  private final Map<String, Map<String, Meters>> byRoute = new ConcurrentHashMap<>();

  MirrorMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  /** The mirror meters of one route and mirror upstream. */
  private final class Meters {
    final String route;
    final String upstream;
    final Counter requests;
    final AtomicReferenceArray<Counter> responses = new AtomicReferenceArray<>(CLASSES.length);
    final AtomicReferenceArray<Counter> dropped = new AtomicReferenceArray<>(REASONS.length);

    Meters(String route, String upstream) {
      this.route = route;
      this.upstream = upstream;
      this.requests =
          Counter.builder("bulwark.mirror.requests")
              .description("Requests sampled for a copy to the route's mirror upstream")
              .tags("route", route, "upstream", upstream)
              .register(registry);
    }

    Counter response(int cls) {
      Counter c = responses.get(cls);
      if (c == null) {
        c =
            Counter.builder("bulwark.mirror.responses")
                .description("Mirror copies answered by the mirror upstream, by status class")
                .tags("route", route, "upstream", upstream, "class", CLASSES[cls])
                .register(registry);
        responses.set(cls, c);
      }
      return c;
    }

    Counter dropped(MirrorDrop reason) {
      int i = reason.ordinal();
      Counter c = dropped.get(i);
      if (c == null) {
        c =
            Counter.builder("bulwark.mirror.dropped")
                .description("Mirror copies not sent, or abandoned before a response, by reason")
                .tags("route", route, "upstream", upstream, "reason", reason.label)
                .register(registry);
        dropped.set(i, c);
      }
      return c;
    }
  }

  private Meters meters(String route, String upstream) {
    Map<String, Meters> m = byRoute.get(route);
    if (m == null) m = byRoute.computeIfAbsent(route, r -> new ConcurrentHashMap<>());
    Meters ms = m.get(upstream);
    if (ms == null) ms = m.computeIfAbsent(upstream, u -> new Meters(route, u));
    return ms;
  }

  void mirrored(String route, String upstream) {
    meters(route, upstream).requests.increment();
  }

  void answered(String route, String upstream, int status) {
    int cls = Math.max(1, Math.min(5, status / 100)) - 1;
    meters(route, upstream).response(cls).increment();
  }

  void dropped(String route, String upstream, MirrorDrop reason) {
    meters(route, upstream).dropped(reason).increment();
  }
}
