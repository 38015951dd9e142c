package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.ItClients.RawConnection;
import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * 256 MiB each way through the gateway, generated on the fly, with the heap of this JVM (which runs
 * the gateway) sampled after GC during the transfer: a gateway that aggregated a body would hold
 * 256 MiB; the bound is half of that. Also: a client that goes away cancels the upstream exchange.
 */
class StreamingIT {
  static final long SIZE = 256L << 20;
  static final long SAMPLE_EVERY = 16L << 20;

  /**
   * Half the body: an aggregated body would be all of it; other tests' leftovers in this JVM can
   * hold tens of MiB.
   */
  static final long MAX_HEAP_GROWTH = 128L << 20;

  static final int CHUNK = 64 << 10;

  static final AtomicLong received = new AtomicLong();
  static final AtomicLong generated = new AtomicLong();
  static final AtomicBoolean uploadGone = new AtomicBoolean();
  static final AtomicLong uploadReceived = new AtomicLong();
  static final AtomicBoolean downloadGone = new AtomicBoolean();
  static final AtomicLong downloadGenerated = new AtomicLong();
  static final java.util.concurrent.atomic.AtomicInteger earlySeen =
      new java.util.concurrent.atomic.AtomicInteger();

  static Upstream up;
  static RunningGateway gw;

  static void handle(HttpServerRequest req) {
    switch (req.path()) {
      case "/upload" -> {
        // counts the bytes and keeps none
        req.handler(b -> received.addAndGet(b.length()));
        req.endHandler(v -> req.response().end(Long.toString(received.get())));
      }
      case "/download" -> {
        HttpServerResponse resp =
            req.response().setChunked(true).putHeader("Content-Type", "application/octet-stream");
        req.endHandler(v -> pump(resp, SIZE, generated));
      }
      case "/upload-abandoned" -> {
        req.connection().closeHandler(v -> uploadGone.set(true));
        req.exceptionHandler(e -> uploadGone.set(true));
        req.handler(b -> uploadReceived.addAndGet(b.length()));
      }
      case "/download-abandoned" -> {
        req.connection().closeHandler(v -> downloadGone.set(true));
        HttpServerResponse resp = req.response().setChunked(true);
        resp.exceptionHandler(e -> downloadGone.set(true));
        req.endHandler(v -> pump(resp, Long.MAX_VALUE, downloadGenerated));
      }
      case "/early" -> {
        // answers at once, without reading the request body
        earlySeen.incrementAndGet();
        req.response().setStatusCode(403).end("denied");
      }
      case "/counted" -> req.body().onSuccess(b -> req.response().end("counted:" + b.length()));
      case "/die-chunked" -> {
        req.response().setChunked(true).write(Buffer.buffer(new byte[1000]));
        req.response()
            .write(Buffer.buffer(new byte[1000]))
            .onComplete(ar -> req.connection().close());
      }
      case "/die-length" -> {
        req.response()
            .putHeader("Content-Length", "5000")
            .write(Buffer.buffer(new byte[1000]))
            .onComplete(ar -> req.connection().close());
      }
      default -> req.response().setStatusCode(404).end();
    }
  }

  /** Writes {@code total} bytes with back-pressure: never more than the write queue takes. */
  static void pump(HttpServerResponse resp, long total, AtomicLong counter) {
    byte[] chunk = new byte[CHUNK];
    java.util.Arrays.fill(chunk, (byte) 'b');
    Runnable[] step = new Runnable[1];
    step[0] =
        () -> {
          while (!resp.writeQueueFull()) {
            if (resp.closed()) return;
            long left = total - counter.get();
            if (left <= 0) {
              resp.end();
              return;
            }
            int n = (int) Math.min(CHUNK, left);
            resp.write(Buffer.buffer(n == CHUNK ? chunk : java.util.Arrays.copyOf(chunk, n)));
            counter.addAndGet(n);
          }
          resp.drainHandler(v -> step[0].run());
        };
    step[0].run();
  }

  @BeforeAll
  static void start() throws Exception {
    up = new Upstream("big", StreamingIT::handle);
    gw =
        RunningGateway.start(
            TestSupport.head()
                    .replace("  shutdown:", "  limits: { maxBodyBytes: 512MiB }\n  shutdown:")
                + """
        upstreams:
          big: { targets: [ { url: %s } ] }
          # one pooled connection: a connection left unusable would block the next request
          single: { targets: [ { url: %s } ], maxConnectionsPerTarget: 1, timeouts: { response: 300ms } }
        routes:
          - { name: single-early, match: { path: /early }, upstream: single, timeout: 5s }
          - { name: single-counted, match: { path: /counted }, upstream: single, timeout: 5s }
          - { name: big, match: { path: /** }, upstream: big }
        """
                    .formatted(up.url(), up.url()));
  }

  @AfterAll
  static void stop() {
    if (gw != null) gw.close();
    if (up != null) up.close();
  }

  static long usedHeapAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** Heap samples taken at progress points of a transfer. */
  static final class HeapSamples {
    final long baseline = usedHeapAfterGc();
    volatile long maxGrowth;
    volatile int samples;

    void sample() {
      long growth = usedHeapAfterGc() - baseline;
      if (growth > maxGrowth) maxGrowth = growth;
      samples++;
    }
  }

  /**
   * An input stream of {@code size} generated bytes that samples the heap every {@link
   * #SAMPLE_EVERY} bytes.
   */
  static final class Generated extends InputStream {
    final long size;
    final HeapSamples heap;
    long pos;
    long nextSample = SAMPLE_EVERY;
    volatile long upstreamAtEnd = -1;

    Generated(long size, HeapSamples heap) {
      this.size = size;
      this.heap = heap;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (pos >= size) {
        if (upstreamAtEnd < 0) upstreamAtEnd = received.get();
        return -1;
      }
      int n = (int) Math.min(len, size - pos);
      for (int i = 0; i < n; i++) b[off + i] = (byte) ('a' + ((pos + i) % 26));
      pos += n;
      if (pos >= nextSample) {
        nextSample += SAMPLE_EVERY;
        heap.sample();
      }
      return n;
    }
  }

  @Test
  void a256MiBRequestBodyStreamsThroughWithBoundedHeap() throws Exception {
    received.set(0);
    HeapSamples heap = new HeapSamples();
    Generated body = new Generated(SIZE, heap);
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(gw.url("/upload")))
            .timeout(Duration.ofSeconds(120))
            .POST(
                HttpRequest.BodyPublishers.fromPublisher(
                    HttpRequest.BodyPublishers.ofInputStream(() -> body), SIZE))
            .build();
    HttpResponse<String> r = TestSupport.HTTP.send(req, HttpResponse.BodyHandlers.ofString());
    heap.sample();
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(Long.toString(SIZE));
    assertThat(received.get()).isEqualTo(SIZE);
    // streamed: the upstream had bytes before the client had produced its last one
    assertThat(body.upstreamAtEnd)
        .as("bytes at the upstream when the client finished generating")
        .isPositive();
    assertThat(heap.samples).isGreaterThanOrEqualTo(6);
    assertThat(heap.maxGrowth)
        .as("heap growth over the baseline, after GC, during the upload")
        .isLessThan(MAX_HEAP_GROWTH);
  }

  @Test
  void a256MiBResponseBodyStreamsThroughWithBoundedHeap() throws Exception {
    generated.set(0);
    HeapSamples heap = new HeapSamples();
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(gw.url("/download")))
            .timeout(Duration.ofSeconds(120))
            .build();
    HttpResponse<InputStream> r =
        TestSupport.HTTP.send(req, HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    long count = 0;
    long nextSample = SAMPLE_EVERY;
    long upstreamAtFirstByte = -1;
    byte[] buf = new byte[CHUNK];
    try (InputStream in = r.body()) {
      for (int n; (n = in.read(buf)) >= 0; ) {
        if (upstreamAtFirstByte < 0 && n > 0) upstreamAtFirstByte = generated.get();
        count += n;
        if (count >= nextSample) {
          nextSample += SAMPLE_EVERY;
          heap.sample();
        }
      }
    }
    heap.sample();
    assertThat(count).isEqualTo(SIZE);
    assertThat(generated.get()).isEqualTo(SIZE);
    // back-pressure: the upstream had not been allowed to write everything when the client got its
    // first bytes
    assertThat(upstreamAtFirstByte)
        .as("bytes generated upstream when the client read its first")
        .isLessThan(SIZE);
    assertThat(heap.samples).isGreaterThanOrEqualTo(6);
    assertThat(heap.maxGrowth)
        .as("heap growth over the baseline, after GC, during the download")
        .isLessThan(MAX_HEAP_GROWTH);
  }

  @Test
  void aClientThatDisconnectsMidRequestCancelsTheUpstreamRequest() throws Exception {
    uploadGone.set(false);
    uploadReceived.set(0);
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write(
          "POST /upload-abandoned HTTP/1.1\r\nHost: gw\r\nContent-Length: " + SIZE + "\r\n\r\n");
      byte[] part = new byte[CHUNK];
      for (int i = 0; i < 16; i++) c.write(part);
      await().atMost(Duration.ofSeconds(30)).until(() -> uploadReceived.get() > 0);
      assertThat(uploadGone.get()).isFalse();
    }
    await().atMost(Duration.ofSeconds(30)).untilTrue(uploadGone);
    await().atMost(Duration.ofSeconds(30)).until(() -> gw.gateway.inFlight() == 0);
  }

  @Test
  void aClientThatDisconnectsMidResponseCancelsTheUpstreamResponse() throws Exception {
    downloadGone.set(false);
    downloadGenerated.set(0);
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write("GET /download-abandoned HTTP/1.1\r\nHost: gw\r\n\r\n");
      InputStream in = c.socket.getInputStream();
      byte[] buf = new byte[CHUNK];
      long got = 0;
      while (got < (1 << 20)) {
        int n = in.read(buf);
        assertThat(n).isPositive();
        got += n;
      }
      assertThat(downloadGone.get()).isFalse();
    }
    await().atMost(Duration.ofSeconds(30)).untilTrue(downloadGone);
    await().atMost(Duration.ofSeconds(30)).until(() -> gw.gateway.inFlight() == 0);
  }

  @Test
  void anUpstreamThatAnswersBeforeReadingTheBodyLeavesNothingStuck() throws Exception {
    int seen = earlySeen.get();
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write("POST /early HTTP/1.1\r\nHost: gw\r\nContent-Length: 200000\r\n\r\n");
      c.write(new byte[100_000]);
      ItClients.RawResponse r = c.read(false);
      assertThat(r.status()).isEqualTo(403);
      assertThat(r.body()).isEqualTo("denied");
      assertThat(earlySeen.get()).isEqualTo(seen + 1);
      // the client finishes its body; its connection goes on
      c.write(new byte[100_000]);
      c.write("POST /counted HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello");
      ItClients.RawResponse next = c.read(false);
      assertThat(next.status())
          .as("the next request, through the upstream's only pooled connection: %s", next.body())
          .isEqualTo(200);
      assertThat(next.body()).isEqualTo("counted:5");
    }
  }

  @Test
  void anUploadSlowerThanTheResponseTimeoutIsNotCutShort() throws Exception {
    // timeouts.response (300ms) counts from the end of the request, not from its start
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write("POST /counted HTTP/1.1\r\nHost: gw\r\nContent-Length: 10\r\n\r\n01234");
      // give a response timer started too early every chance to fire
      await().pollDelay(Duration.ofMillis(1000)).atMost(Duration.ofSeconds(30)).until(() -> true);
      assertThat(c.socket.getInputStream().available()).as("nothing answered yet").isZero();
      c.write("56789");
      ItClients.RawResponse r = c.read(false);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("counted:10");
    }
  }

  @Test
  void anUpstreamThatDiesMidChunkedResponseBreaksTheClientResponse() throws Exception {
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write("GET /die-chunked HTTP/1.1\r\nHost: gw\r\n\r\n");
      byte[] all = c.socket.getInputStream().readAllBytes();
      String text = new String(all, java.nio.charset.StandardCharsets.ISO_8859_1);
      assertThat(text)
          .startsWith("HTTP/1.1 200")
          .containsIgnoringCase("transfer-encoding: chunked");
      assertThat(text)
          .as("no final chunk: the client can tell the body is incomplete")
          .doesNotEndWith("0\r\n\r\n");
    }
  }

  @Test
  void anUpstreamThatDiesBeforeItsContentLengthBreaksTheClientResponse() throws Exception {
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write("GET /die-length HTTP/1.1\r\nHost: gw\r\n\r\n");
      byte[] all = c.socket.getInputStream().readAllBytes();
      String text = new String(all, java.nio.charset.StandardCharsets.ISO_8859_1);
      assertThat(text).startsWith("HTTP/1.1 200").containsIgnoringCase("content-length: 5000");
      int bodyLen = all.length - (text.indexOf("\r\n\r\n") + 4);
      assertThat(bodyLen).as("the connection closes short of Content-Length").isLessThan(5000);
    }
  }
}
