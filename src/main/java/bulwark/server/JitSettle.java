package bulwark.server;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.function.LongSupplier;

/**
 * Whether the JIT has settled: sampled once a second during the warm-up, the JVM's total
 * compilation time grew by at most {@link #QUIET_MS} in each of the last {@link #QUIET_SAMPLES}
 * seconds. Once the request path is compiled, more warm-up buys nothing, so the warm-up ends then
 * rather than at server.warmup. A JVM that does not report compilation time never settles (the
 * warm-up runs its full time).
 */
final class JitSettle {
  /** At most this much compilation in a second counts as quiet. */
  static final long QUIET_MS = 50;

  /** This many quiet seconds in a row: settled. */
  static final int QUIET_SAMPLES = 2;

  private final LongSupplier totalCompileMillis;
  private long previous = -1;
  private long lastDelta = -1;
  private int quiet;

  JitSettle(LongSupplier totalCompileMillis) {
    this.totalCompileMillis = totalCompileMillis;
  }

  /** Over this JVM's compilation time (or one that never settles, when it is not reported). */
  static JitSettle ofThisJvm() {
    CompilationMXBean bean = ManagementFactory.getCompilationMXBean();
    if (bean == null || !bean.isCompilationTimeMonitoringSupported())
      return new JitSettle(() -> -1);
    return new JitSettle(bean::getTotalCompilationTime);
  }

  /**
   * Takes one sample; returns the milliseconds compiled since the previous one, or -1 for the first
   * sample or when the time is not reported.
   */
  long sample() {
    long now = totalCompileMillis.getAsLong();
    if (now < 0) {
      quiet = 0;
      return lastDelta = -1;
    }
    long delta = previous < 0 ? -1 : now - previous;
    previous = now;
    if (delta < 0) quiet = 0;
    else quiet = delta <= QUIET_MS ? quiet + 1 : 0;
    return lastDelta = delta;
  }

  /** The last sample's compilation time in milliseconds, or -1. */
  long lastDelta() {
    return lastDelta;
  }

  boolean settled() {
    return quiet >= QUIET_SAMPLES;
  }
}
