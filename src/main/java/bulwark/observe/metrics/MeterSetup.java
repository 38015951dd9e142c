package bulwark.observe.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.time.Duration;

/**
 * The configuration of the metrics registry: the meter filters applied before any meter is
 * registered, the histogram buckets every timer uses, and the JVM, process and Netty allocator
 * binders.
 */
public final class MeterSetup {
  /** The histogram buckets of every timer, in seconds. */
  static final Duration[] BUCKETS =
      seconds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.3, 0.5, 1, 2, 5, 10);

  private MeterSetup() {}

  /**
   * Filters for the binders' meters: what `promtool check metrics` would flag is left out
   * (process_cpu_time_ns_total, an abbreviated unit; system_cpu_count, a gauge with a _count
   * suffix), and the Netty allocator meters that come without a description get one. Called on the
   * new registry before any meter is registered.
   */
  public static void configure(MeterRegistry registry) {
    registry
        .config()
        .meterFilter(
            MeterFilter.deny(
                id ->
                    id.getName().equals("process.cpu.time")
                        || id.getName().equals("system.cpu.count")));
    registry
        .config()
        .meterFilter(
            new MeterFilter() {
              @Override
              public Meter.Id map(Meter.Id id) {
                if (!id.getName().startsWith("netty.allocator.") || id.getDescription() != null)
                  return id;
                return new Meter.Id(
                    id.getName(),
                    Tags.of(id.getTagsAsIterable()),
                    id.getBaseUnit(),
                    "Netty buffer allocator: " + id.getName().substring(16).replace('.', ' '),
                    id.getType());
              }
            });
  }

  /**
   * Binds the JVM, process and Netty allocator meters; returns what must be closed with the
   * metrics.
   */
  static AutoCloseable bindProcessMeters(MeterRegistry registry) {
    new JvmMemoryMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    // the allocator every Vert.x channel uses: Netty's default (adaptive in Netty 4.2, pooled if
    // configured so), or the adaptive one Vert.x substitutes when the default is unpooled
    if (io.vertx.core.impl.buffer.VertxByteBufAllocator.POOLED_ALLOCATOR
        instanceof ByteBufAllocatorMetricProvider p) {
      new NettyAllocatorMetrics(p).bindTo(registry);
    }
    return gc;
  }

  /** A timer builder with the description and the {@link #BUCKETS}. */
  static Timer.Builder timer(String name, String description) {
    return Timer.builder(name).description(description).serviceLevelObjectives(BUCKETS);
  }

  private static Duration[] seconds(double... s) {
    Duration[] d = new Duration[s.length];
    for (int i = 0; i < s.length; i++) d[i] = Duration.ofNanos(Math.round(s[i] * 1e9));
    return d;
  }
}
