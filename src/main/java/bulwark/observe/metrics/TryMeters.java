package bulwark.observe.metrics;

import bulwark.upstream.target.Outcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The meters of tries to upstream targets: the attempt timers and error counters by outcome, and
 * the retry and retry-budget counters by upstream. Meters are built on first use and cached, so
 * recording allocates nothing.
 */
final class TryMeters {
  /** The outcome label of a try, by {@link #outcomeIndex}. */
  private static final String[] OUTCOMES = {
    "success", "5xx", "connect", "reset", "timeout", "cancelled", "body_reset", "body_timeout"
  };

  private static final int SUCCESS = 0;
  private static final int CANCELLED = 5;

  private final MeterRegistry registry;
  private final Map<String, Map<String, TargetMeters>> targets = new ConcurrentHashMap<>();
  private final Map<String, Counter> retries = new ConcurrentHashMap<>();
  private final Map<String, Counter> budgetExhausted = new ConcurrentHashMap<>();

  TryMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  /** The try meters of one target of one upstream, filled in as outcomes occur. */
  private final class TargetMeters {
    final String upstream;
    final String target;
    final AtomicReferenceArray<Timer> attempts = new AtomicReferenceArray<>(OUTCOMES.length);
    final AtomicReferenceArray<Counter> errors = new AtomicReferenceArray<>(OUTCOMES.length);

    TargetMeters(String upstream, String target) {
      this.upstream = upstream;
      this.target = target;
    }

    void record(int outcome, long nanos) {
      Timer t = attempts.get(outcome);
      if (t == null) {
        t =
            MeterSetup.timer(
                    "bulwark.upstream.attempts",
                    "Tries sent to upstream targets, by how they ended")
                .tags("upstream", upstream, "target", target, "outcome", OUTCOMES[outcome])
                .register(registry);
        attempts.set(outcome, t);
      }
      t.record(nanos, TimeUnit.NANOSECONDS);
      if (outcome == SUCCESS || outcome == CANCELLED) return;
      Counter c = errors.get(outcome);
      if (c == null) {
        c =
            Counter.builder("bulwark.upstream.errors")
                .description("Failed tries to upstream targets, by kind")
                .tags("upstream", upstream, "target", target, "kind", OUTCOMES[outcome])
                .register(registry);
        errors.set(outcome, c);
      }
      c.increment();
    }
  }

  /** Records a try of {@code upstream} to the target with {@code targetKey}. */
  void tryEnded(String upstream, String targetKey, Outcome outcome, long nanos) {
    Map<String, TargetMeters> byTarget = targets.get(upstream);
    if (byTarget == null)
      byTarget = targets.computeIfAbsent(upstream, u -> new ConcurrentHashMap<>());
    TargetMeters m = byTarget.get(targetKey);
    if (m == null) m = byTarget.computeIfAbsent(targetKey, k -> new TargetMeters(upstream, k));
    m.record(outcomeIndex(outcome), nanos);
  }

  /** The index in {@link #OUTCOMES}. */
  private static int outcomeIndex(Outcome o) {
    return switch (o) {
      case CANCELLED -> CANCELLED;
      case SUCCESS -> SUCCESS;
      case HTTP_5XX -> 1;
      case CONNECT_FAILURE -> 2;
      case RESET -> 3;
      case TIMEOUT -> 4;
      case BODY_RESET -> 6;
      case BODY_TIMEOUT -> 7;
    };
  }

  Counter retries(String upstream) {
    return perUpstream(retries, upstream, "bulwark.retries", "Failed tries sent again");
  }

  Counter budgetExhausted(String upstream) {
    return perUpstream(
        budgetExhausted,
        upstream,
        "bulwark.retry.budget.exhausted",
        "Retries the retry budget refused");
  }

  private Counter perUpstream(
      Map<String, Counter> counters, String up, String name, String description) {
    Counter c = counters.get(up);
    if (c == null)
      c =
          counters.computeIfAbsent(
              up,
              u ->
                  Counter.builder(name)
                      .description(description)
                      .tag("upstream", u)
                      .register(registry));
    return c;
  }
}
