package bulwark.audit;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.AuditConfig;
import bulwark.config.Rate;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {
  @TempDir Path dir;

  @Test
  void
      eventsFromManyThreadsAreNumberedWithoutGapsInTheOrderEachThreadSentThemAndCloseWritesThemAll()
          throws Exception {
    Path file = dir.resolve("audit.jsonl");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AuditLog audit =
        AuditLog.of(
            new AuditConfig(file.toString(), null, new Rate(100, Duration.ofMinutes(1)), 100_000),
            registry);
    int threads = 4, each = 500;
    CountDownLatch go = new CountDownLatch(1);
    Thread[] ts = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      int id = t;
      ts[t] =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      go.await();
                    } catch (InterruptedException e) {
                      return;
                    }
                    for (int i = 0; i < each; i++)
                      audit.event("test.event", Map.of("test.thread", id, "test.n", i));
                  });
    }
    go.countDown();
    for (Thread t : ts) t.join();
    audit.close();

    List<JsonObject> events = AuditIT.events(file);
    assertThat(events).hasSize(threads * each);
    Map<Integer, Integer> lastPerThread = new HashMap<>();
    for (int i = 0; i < events.size(); i++) {
      JsonObject e = events.get(i);
      assertThat(e.getLong("event.sequence")).isEqualTo(i + 1L);
      int previous = lastPerThread.getOrDefault(e.getInteger("test.thread"), -1);
      assertThat(e.getInteger("test.n"))
          .as("each thread's events in its order")
          .isEqualTo(previous + 1);
      lastPerThread.put(e.getInteger("test.thread"), e.getInteger("test.n"));
      assertThat(e.getString("event.category")).isEqualTo("process");
    }
    assertThat(registry.get("bulwark.audit.events").tag("sink", "file").counter().count())
        .isEqualTo(threads * each);
    assertThat(registry.get("bulwark.audit.events.dropped").tag("sink", "file").counter().count())
        .isZero();
  }

  @Test
  void aFullQueueDropsAndCountsInsteadOfWaiting() throws Exception {
    // a directory as the file: every write fails, so what is offered is either dropped at once or
    // dropped by the sink
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AuditLog audit =
        AuditLog.of(
            new AuditConfig(dir.toString(), null, new Rate(100, Duration.ofMinutes(1)), 4),
            registry);
    for (int i = 0; i < 1000; i++) audit.event("test.event", Map.of());
    audit.close();
    assertThat(registry.get("bulwark.audit.events.dropped").tag("sink", "file").counter().count())
        .isEqualTo(1000);
    assertThat(registry.get("bulwark.audit.events").tag("sink", "file").counter().count()).isZero();
  }
}
