package bulwark.observe.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.TraceId;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TraceIdsTest {
  @Test
  void idsAndTheUnsampledTraceparentAreWrittenAsOpenTelemetryWritesThem() {
    Random rnd = new Random(7);
    long[] edges = {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 0x0123456789abcdefL};
    for (int i = 0; i < 1000; i++) {
      long hi = i < edges.length ? edges[i] : rnd.nextLong();
      long lo = i < edges.length ? edges[edges.length - 1 - i] : rnd.nextLong();
      long span = rnd.nextLong();
      assertThat(TraceIds.traceIdHex(hi, lo)).isEqualTo(TraceId.fromLongs(hi, lo));
      assertThat(TraceIds.spanIdHex(span)).isEqualTo(SpanId.fromLong(span));
      assertThat(TraceIds.unsampledTraceparent(hi, lo, span).toString())
          .isEqualTo("00-" + TraceId.fromLongs(hi, lo) + "-" + SpanId.fromLong(span) + "-00");
    }
  }
}
