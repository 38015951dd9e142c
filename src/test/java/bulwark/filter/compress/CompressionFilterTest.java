package bulwark.filter.compress;

import static bulwark.config.CompressionAlgorithm.BR;
import static bulwark.config.CompressionAlgorithm.GZIP;
import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.ByteSize;
import bulwark.config.CompressionAlgorithm;
import bulwark.config.CompressionConfig;
import bulwark.config.CompressionLevels;
import bulwark.filter.BodyEncoder;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.MultiMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The response-head rules (what is compressed, what headers change) and the Brotli fallback. */
class CompressionFilterTest {
  static CompressionConfig config(List<CompressionAlgorithm> algorithms) {
    return new CompressionConfig(
        algorithms,
        new ByteSize(1024),
        List.of("application/json", "text/*", "application/*+json"),
        new CompressionLevels(6, 4),
        false);
  }

  static final CompressionFilter FILTER =
      CompressionFilter.of(config(List.of(BR, GZIP)), () -> null);

  static MultiMap head(String... kv) {
    MultiMap h = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < kv.length; i += 2) h.add(kv[i], kv[i + 1]);
    return h;
  }

  static BodyEncoder begin(CompressionAlgorithm a, int status, MultiMap h) {
    BodyEncoder e = FILTER.response(a).begin(status, h);
    if (e != null) e.close();
    return e;
  }

  @Test
  void aCompressedResponseLosesItsLengthAndGainsEncodingVaryAndAWeakEtag() {
    MultiMap h =
        head(
            "Content-Type", "application/json; charset=utf-8",
            "Content-Length", "5000",
            "ETag", "\"abc\"",
            "Accept-Ranges", "bytes",
            "Vary", "Origin");
    BodyEncoder e = begin(GZIP, 200, h);
    assertThat(e).isNotNull();
    assertThat(e.name()).isEqualTo("gzip");
    assertThat(h.contains("Content-Length")).isFalse();
    assertThat(h.contains("Accept-Ranges")).isFalse();
    assertThat(h.get("Content-Encoding")).isEqualTo("gzip");
    assertThat(h.getAll("Vary")).containsExactly("Origin, Accept-Encoding");
    assertThat(h.get("ETag")).isEqualTo("W/\"abc\"");

    MultiMap weak = head("Content-Type", "text/html", "ETag", "W/\"x\"", "Vary", "accept-encoding");
    assertThat(begin(BR, 200, weak).name()).isEqualTo("br");
    assertThat(weak.get("ETag")).isEqualTo("W/\"x\"");
    assertThat(weak.getAll("Vary")).containsExactly("accept-encoding");
    MultiMap star = head("Content-Type", "text/html", "Vary", "*");
    begin(BR, 200, star);
    assertThat(star.getAll("Vary")).containsExactly("*");
  }

  @Test
  void typesMatchWithWildcardsAndWithoutParameters() {
    for (String t :
        List.of(
            "application/json",
            "APPLICATION/JSON;charset=utf-8",
            "text/plain",
            "text/csv",
            "application/problem+json"))
      assertThat(begin(GZIP, 200, head("Content-Type", t))).as(t).isNotNull();
    for (String t :
        List.of("application/octet-stream", "image/png", "application/jsonx", "textual/x", "json"))
      assertThat(begin(GZIP, 200, head("Content-Type", t))).as(t).isNull();
    assertThat(begin(GZIP, 200, head())).as("no Content-Type").isNull();
    CompressionFilter all =
        CompressionFilter.of(
            new CompressionConfig(
                List.of(GZIP), new ByteSize(0), List.of("*/*"), new CompressionLevels(1, 0), false),
            () -> null);
    BodyEncoder e = all.response(GZIP).begin(200, head("Content-Type", "image/png"));
    assertThat(e).isNotNull();
    e.close();
    assertThat(all.response(GZIP).begin(200, head("Content-Type", "application/grpc+proto")))
        .as("gRPC, even under */*")
        .isNull();
  }

  @Test
  void everySkipRuleOfTheHeadLeavesItUntouched() {
    String json = "application/json";
    assertThat(begin(GZIP, 200, head("Content-Type", json, "Content-Length", "1023")))
        .as("small")
        .isNull();
    assertThat(begin(GZIP, 200, head("Content-Type", json, "Content-Length", "0"))).isNull();
    assertThat(begin(GZIP, 200, head("Content-Type", json, "Content-Length", "1024"))).isNotNull();
    assertThat(begin(GZIP, 200, head("Content-Type", json))).as("unknown length").isNotNull();
    assertThat(begin(GZIP, 200, head("Content-Type", json, "Content-Encoding", "gzip"))).isNull();
    assertThat(begin(GZIP, 200, head("Content-Type", json, "Content-Encoding", "identity")))
        .isNotNull();
    assertThat(
            begin(GZIP, 200, head("Content-Type", json, "Cache-Control", "public, No-Transform")))
        .isNull();
    assertThat(begin(GZIP, 200, head("Content-Type", json, "Content-Range", "bytes 0-9/100")))
        .isNull();
    for (int status : new int[] {101, 204, 206, 304})
      assertThat(begin(GZIP, status, head("Content-Type", json))).as("status %d", status).isNull();
    assertThat(begin(GZIP, 404, head("Content-Type", json))).as("errors too").isNotNull();

    MultiMap untouched = head("Content-Type", json, "Content-Length", "10", "ETag", "\"e\"");
    begin(GZIP, 200, untouched);
    assertThat(untouched.get("Content-Length")).isEqualTo("10");
    assertThat(untouched.get("ETag")).isEqualTo("\"e\"");
    assertThat(untouched.contains("Vary")).isFalse();
  }

  /**
   * A response that could be compressed varies by Accept-Encoding even when this client got none.
   */
  @Test
  void aClientThatAcceptsNoCodingStillGetsVary() {
    MultiMap h = head("Content-Type", "application/json", "Content-Length", "5000");
    assertThat(FILTER.response(null).begin(200, h)).isNull();
    assertThat(h.get("Vary")).isEqualTo("Accept-Encoding");
    assertThat(h.get("Content-Length")).isEqualTo("5000");
    assertThat(h.contains("Content-Encoding")).isFalse();
  }

  @Test
  void withoutBrotliBrFallsBackToGzipAndSaysSoOnce() {
    Logger log = (Logger) LoggerFactory.getLogger(BrotliSupport.class);
    ListAppender<ILoggingEvent> app = new ListAppender<>();
    app.start();
    log.addAppender(app);
    try {
      AtomicBoolean warned = new AtomicBoolean();
      AtomicInteger probes = new AtomicInteger();
      java.util.function.Supplier<Throwable> missing =
          () -> {
            probes.incrementAndGet();
            return new UnsatisfiedLinkError("no brotli in java.library.path");
          };
      assertThat(BrotliSupport.usable(List.of(BR, GZIP), missing, warned)).containsExactly(GZIP);
      assertThat(BrotliSupport.usable(List.of(BR), missing, warned)).containsExactly(GZIP);
      assertThat(BrotliSupport.usable(List.of(GZIP, BR), missing, warned)).containsExactly(GZIP);
      assertThat(BrotliSupport.usable(List.of(GZIP), missing, warned)).containsExactly(GZIP);
      assertThat(probes).as("gzip alone needs no probe").hasValue(3);
      assertThat(app.list).hasSize(1);
      assertThat(app.list.get(0).getLevel()).isEqualTo(Level.WARN);
      assertThat(app.list.get(0).getFormattedMessage())
          .contains("Brotli is not available")
          .contains("no brotli in java.library.path")
          .contains("gzip instead of br");
      assertThat(BrotliSupport.usable(List.of(BR, GZIP), () -> null, new AtomicBoolean()))
          .containsExactly(BR, GZIP);
    } finally {
      log.detachAppender(app);
    }
  }

  @Test
  void aFilterWithoutBrotliAnswersABrClientWithGzipWhenItAlsoTakesGzip() {
    CompressionFilter f =
        CompressionFilter.of(config(List.of(BR)), () -> new UnsatisfiedLinkError("gone"));
    assertThat(f.offered()).containsExactly(GZIP);
    CompressionAlgorithm[] offered = f.offered().toArray(new CompressionAlgorithm[0]);
    assertThat(AcceptEncoding.choose("br, gzip", offered)).isEqualTo(GZIP);
    assertThat(AcceptEncoding.choose("br", offered)).isNull();
    assertThat(BrotliSupport.NATIVE.get()).as("the real library loads here").isNull();
  }
}
