package bulwark.observe.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Meters whose set follows the serving config (one per upstream, target, breaker, middleware...):
 * {@link #sync} registers the ones the config now has and removes the rest from the registry, so a
 * reload that drops a target also drops its series. The meters read live state by name when
 * scraped.
 *
 * @param <K> what identifies one meter (its labels)
 */
final class LiveMeters<K> {
  private final MeterRegistry registry;
  private final Function<K, List<Meter>> create;
  private final Map<K, List<Meter>> current = new HashMap<>();

  LiveMeters(MeterRegistry registry, Function<K, List<Meter>> create) {
    this.registry = registry;
    this.create = create;
  }

  /** Makes the registered set exactly {@code wanted}. Called under the owner's lock. */
  void sync(Iterable<K> wanted) {
    Map<K, List<Meter>> keep = new HashMap<>();
    for (K k : wanted) {
      if (keep.containsKey(k)) continue; // the same target listed twice
      List<Meter> m = current.remove(k);
      keep.put(k, m != null ? m : create.apply(k));
    }
    current.values().forEach(ms -> ms.forEach(registry::remove));
    current.clear();
    current.putAll(keep);
  }
}
