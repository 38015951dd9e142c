package bulwark.audit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sink with its own bounded queue and writer thread. {@link #offer} never waits: when the queue
 * is full the event is dropped and counted ({@code bulwark_audit_events_dropped_total{sink}}). The
 * thread takes what is queued in batches, in order, and hands each batch to {@link #write}.
 */
abstract class QueuedSink {
  private static final Logger LOG = LoggerFactory.getLogger(QueuedSink.class);
  private static final int BATCH = 512;

  final String name;
  private final ArrayBlockingQueue<AuditEvent> queue;
  private final Counter written;
  private final Counter dropped;
  private final Thread thread;
  private volatile boolean closing;

  QueuedSink(String name, int capacity, MeterRegistry registry) {
    this.name = name;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.written =
        Counter.builder("bulwark.audit.events")
            .description("Audit events a sink wrote (file) or the broker acknowledged (kafka)")
            .tag("sink", name)
            .register(registry);
    this.dropped =
        Counter.builder("bulwark.audit.events.dropped")
            .description("Audit events a sink dropped: queue full, write or send failure, shutdown")
            .tag("sink", name)
            .register(registry);
    this.thread = Thread.ofPlatform().name("bulwark-audit-" + name).daemon().unstarted(this::run);
  }

  final void start() {
    thread.start();
  }

  /**
   * Queues {@code e}; false (and counted as dropped) when the queue is full or the sink is closing.
   */
  final boolean offer(AuditEvent e) {
    if (!closing && queue.offer(e)) return true;
    dropped.increment();
    return false;
  }

  final void written(long n) {
    written.increment(n);
  }

  final void dropped(long n) {
    dropped.increment(n);
  }

  /**
   * Writes one batch, in order. Counts what it wrote and dropped through {@link #written}/{@link
   * #dropped}.
   */
  abstract void write(List<AuditEvent> batch);

  /**
   * Called on the sink's thread once the queue is drained at close: flush and release, within
   * {@code millis}.
   */
  abstract void finish(long millis);

  private void run() {
    List<AuditEvent> batch = new ArrayList<>(BATCH);
    while (true) {
      try {
        AuditEvent first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          if (closing) break;
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, BATCH - 1);
        write(batch);
      } catch (InterruptedException e) {
        break;
      } catch (RuntimeException e) {
        LOG.warn("audit sink {}: {} event(s) dropped: {}", name, batch.size(), e.toString());
        dropped(batch.size());
      } finally {
        batch.clear();
      }
    }
  }

  /**
   * Stops taking events, lets the thread write what is queued, then {@link #finish}es; gives up
   * after {@code millis}, counting what is left as dropped.
   */
  final void close(long millis) {
    closing = true;
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    try {
      thread.join(Math.max(1, millis / 2));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      thread.interrupt();
      try {
        thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) / 2));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    int left = queue.size();
    if (left > 0) {
      dropped(left);
      queue.clear();
    }
    finish(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
  }
}
