package bulwark.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import io.netty.util.internal.PlatformDependent;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * An asynchronous Logback appender built for the event loop. Appending is one offer to a bounded
 * lock-free queue: no lock, no signal, never a block; when the queue is full the line is dropped
 * and counted. A worker thread wakes every {@link #PERIOD_MILLIS} ms, encodes everything queued
 * through the downstream appender and flushes it with one write.
 *
 * <p>Logback's own AsyncAppender signals its worker on every line; on a busy core the woken worker
 * preempts the event loop once per request, which measured here as a third of the gateway's
 * throughput. Batching the hand-over removes that.
 */
final class BatchingAsyncAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
  /**
   * Each wake-up takes the event loop's core for a moment (and a direct-I/O write blocks, so it
   * switches twice more): at 20 ms the writer cost ~0.3 µs more per request and preempted the event
   * loop twice as often as at 100 ms (docs/performance.md). Readers see lines within 100 ms.
   */
  static final long PERIOD_MILLIS = 100;

  private static final long PERIOD_NANOS = PERIOD_MILLIS * 1_000_000;
  private final Queue<ILoggingEvent> queue;
  private final BufferedStreamAppender downstream;
  private final AtomicLong dropped = new AtomicLong();
  private volatile boolean running;
  private Thread worker;

  BatchingAsyncAppender(BufferedStreamAppender downstream, int capacity) {
    this.downstream = downstream;
    this.queue = PlatformDependent.newFixedMpscQueue(capacity);
  }

  @Override
  public void start() {
    running = true;
    worker = Thread.ofPlatform().daemon().name("bulwark-access-log").start(this::loop);
    super.start();
  }

  @Override
  protected void append(ILoggingEvent event) {
    if (!queue.offer(event)) dropped.incrementAndGet();
  }

  long dropped() {
    return dropped.get();
  }

  private void loop() {
    while (running) {
      // parked, not sleeping: stop() unparks it. An interrupt would close the file's channel if it
      // came during a write (FileChannel is interruptible), and the lines after it would be lost.
      LockSupport.parkNanos(PERIOD_NANOS);
      drain();
    }
    drain();
  }

  private void drain() {
    ILoggingEvent e;
    boolean any = false;
    while ((e = queue.poll()) != null) {
      downstream.doAppend(e);
      any = true;
    }
    if (any) downstream.flush();
  }

  @Override
  public void stop() {
    if (!isStarted()) return;
    super.stop();
    running = false;
    if (worker != null) {
      LockSupport.unpark(worker);
      try {
        worker.join(10_000);
      } catch (InterruptedException ignored) {
        Thread.currentThread().interrupt();
      }
    }
    downstream.stop();
    if (dropped.get() > 0)
      addWarn("access log: " + dropped.get() + " line(s) dropped because the queue was full");
    org.slf4j.LoggerFactory.getLogger(BatchingAsyncAppender.class)
        .info(
            "access log stopped: {} line(s) dropped, {} left unwritten",
            dropped.get(),
            queue.size());
  }
}
