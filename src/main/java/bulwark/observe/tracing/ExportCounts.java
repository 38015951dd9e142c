package bulwark.observe.tracing;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * What became of each sampled span: exported, dropped because too many were waiting (queue_full),
 * or dropped because its export failed (export_failed, including a collector that is down or too
 * slow). {@link #processor} bounds the backlog itself: a span that finds {@code maxQueued} spans
 * between end and export outcome is dropped and counted, so the batch processor behind it never
 * drops one silently and nothing ever waits for the collector.
 */
final class ExportCounts {
  final LongAdder exported = new LongAdder();
  final LongAdder queueFull = new LongAdder();
  final LongAdder exportFailed = new LongAdder();

  /** Spans handed to the batch processor whose export has no outcome yet (queued or being sent). */
  final AtomicInteger backlog = new AtomicInteger();

  void register(MeterRegistry registry) {
    FunctionCounter.builder("bulwark.tracing.spans.exported", exported, LongAdder::doubleValue)
        .description("Spans the collector accepted")
        .register(registry);
    FunctionCounter.builder("bulwark.tracing.spans.dropped", queueFull, LongAdder::doubleValue)
        .description("Spans dropped before export")
        .tag("reason", "queue_full")
        .register(registry);
    FunctionCounter.builder("bulwark.tracing.spans.dropped", exportFailed, LongAdder::doubleValue)
        .description("Spans dropped before export")
        .tag("reason", "export_failed")
        .register(registry);
  }

  /** Counts each batch's outcome once it is known (success, failure or timeout). */
  SpanExporter exporter(SpanExporter delegate) {
    return new SpanExporter() {
      @Override
      public CompletableResultCode export(Collection<SpanData> spans) {
        int n = spans.size();
        CompletableResultCode r;
        try {
          r = delegate.export(spans);
        } catch (RuntimeException e) {
          r = CompletableResultCode.ofFailure();
        }
        CompletableResultCode result = r;
        result.whenComplete(
            () -> {
              (result.isSuccess() ? exported : exportFailed).add(n);
              backlog.addAndGet(-n);
            });
        return result;
      }

      @Override
      public CompletableResultCode flush() {
        return delegate.flush();
      }

      @Override
      public CompletableResultCode shutdown() {
        return delegate.shutdown();
      }
    };
  }

  /**
   * Admits a sampled span to {@code delegate} while fewer than {@code maxQueued} wait; counts the
   * rest.
   */
  SpanProcessor processor(SpanProcessor delegate, int maxQueued) {
    return new SpanProcessor() {
      @Override
      public void onStart(Context parent, ReadWriteSpan span) {
        delegate.onStart(parent, span);
      }

      @Override
      public boolean isStartRequired() {
        return delegate.isStartRequired();
      }

      @Override
      public void onEnd(ReadableSpan span) {
        if (!span.getSpanContext().isSampled()) return;
        if (backlog.incrementAndGet() > maxQueued) {
          backlog.decrementAndGet();
          queueFull.increment();
          return;
        }
        delegate.onEnd(span);
      }

      @Override
      public boolean isEndRequired() {
        return true;
      }

      @Override
      public CompletableResultCode forceFlush() {
        return delegate.forceFlush();
      }

      @Override
      public CompletableResultCode shutdown() {
        return delegate.shutdown();
      }
    };
  }
}
