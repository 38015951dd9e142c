package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.filter.compress.CompressionFilter;
import bulwark.it.ItClients.RawConnection;
import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import com.aayushatharva.brotli4j.decoder.BrotliInputStream;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.PooledByteBufAllocator;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.impl.buffer.VertxByteBufAllocator;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The compression middleware through a running gateway, against a real upstream: real clients (curl
 * --compressed, Python's gzip and brotli modules) decode byte-identical bodies; the coding follows
 * Accept-Encoding's q-values; every skip rule; Vary and ETag; a 100 MiB stream compressed as it
 * flows, with bounded heap; the encoders closed however a response ends.
 */
class CompressionIT {
  /** A compressible 64 KiB block (JSON-ish lines from a small vocabulary); bodies repeat it. */
  static final byte[] BLOCK = block(64 << 10);

  static final long BIG = 100L << 20;

  /** The big stream's upstream waits here until the client has decoded its first bytes. */
  static final long GATE = 1L << 20;

  static final long SAMPLE_EVERY = 16L << 20;

  /** Half the body: a gateway that held the whole response would need all of it. */
  static final long MAX_HEAP_GROWTH = 50L << 20;

  static final AtomicLong bigGenerated = new AtomicLong();
  static volatile Runnable openGate;
  static final AtomicBoolean endlessGone = new AtomicBoolean();

  static Upstream up;
  static RunningGateway gw;

  static byte[] block(int n) {
    Random r = new Random(42);
    String[] words = {"alpha", "beta", "gamma", "delta", "order", "user", "status", "active"};
    StringBuilder sb = new StringBuilder(n + 100);
    for (int i = 0; sb.length() < n; i++)
      sb.append("{\"seq\":")
          .append(i)
          .append(",\"name\":\"")
          .append(words[r.nextInt(words.length)])
          .append('-')
          .append(r.nextInt(1000))
          .append("\",\"ok\":true}\n");
    return sb.substring(0, n).getBytes(StandardCharsets.US_ASCII);
  }

  /** The first {@code n} bytes of every body: BLOCK repeated. */
  static byte[] body(int n) {
    byte[] b = new byte[n];
    for (int pos = 0; pos < n; pos += BLOCK.length)
      System.arraycopy(BLOCK, 0, b, pos, Math.min(BLOCK.length, n - pos));
    return b;
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  static void handle(HttpServerRequest req) {
    HttpServerResponse resp = req.response();
    String p = req.path();
    String[] parts = p.split("/");
    switch (parts[1]) {
      case "json" ->
          resp.putHeader("Content-Type", "application/json; charset=utf-8")
              .putHeader("ETag", "\"v1\"")
              .putHeader("Vary", "Origin")
              .end(Buffer.buffer(body(Integer.parseInt(parts[2]))));
      case "chunked" -> {
        resp.setChunked(true).putHeader("Content-Type", "text/plain");
        byte[] b = body(Integer.parseInt(parts[2]));
        for (int pos = 0; pos < b.length; pos += 8192)
          resp.write(Buffer.buffer(Arrays.copyOfRange(b, pos, Math.min(b.length, pos + 8192))));
        resp.end();
      }
      case "typed" ->
          resp.putHeader("Content-Type", req.getParam("type")).end(Buffer.buffer(body(5000)));
      case "encoded" -> {
        try {
          resp.putHeader("Content-Type", "application/json")
              .putHeader("Content-Encoding", "gzip")
              .end(Buffer.buffer(gzip(body(5000))));
        } catch (IOException e) {
          resp.setStatusCode(500).end();
        }
      }
      case "notransform" ->
          resp.putHeader("Content-Type", "application/json")
              .putHeader("Cache-Control", "public, no-transform")
              .end(Buffer.buffer(body(5000)));
      case "status" ->
          resp.setStatusCode(Integer.parseInt(parts[2]))
              .putHeader("Content-Type", "application/json")
              .putHeader("ETag", "\"v1\"")
              .end();
      case "range" -> {
        byte[] b = body(5000);
        resp.putHeader("Content-Type", "application/json").putHeader("Accept-Ranges", "bytes");
        if (req.getHeader("Range") != null)
          resp.setStatusCode(206)
              .putHeader("Content-Range", "bytes 0-99/5000")
              .end(Buffer.buffer(Arrays.copyOf(b, 100)));
        else resp.end(Buffer.buffer(b));
      }
      case "big" -> {
        resp.setChunked(true).putHeader("Content-Type", "application/json");
        bigGenerated.set(0);
        pump(resp, BIG, bigGenerated, true);
      }
      case "endless" -> {
        req.connection().closeHandler(v -> endlessGone.set(true));
        resp.setChunked(true).putHeader("Content-Type", "text/plain");
        pump(resp, Long.MAX_VALUE, new AtomicLong(), false);
      }
      case "die" -> {
        resp.setChunked(true).putHeader("Content-Type", "application/json");
        resp.write(Buffer.buffer(body(100_000))).onComplete(ar -> req.connection().close());
      }
      case "echo" ->
          req.body()
              .onSuccess(
                  b ->
                      resp.putHeader("Content-Type", "application/octet-stream")
                          .putHeader("X-Seen-CE", String.valueOf(req.getHeader("Content-Encoding")))
                          .putHeader("X-Seen-CL", String.valueOf(req.getHeader("Content-Length")))
                          .putHeader(
                              "X-Seen-TE", String.valueOf(req.getHeader("Transfer-Encoding")))
                          .end(b));
      case "count" -> {
        // counts the bytes and keeps none; the heap after GC is sampled every 32 MiB
        long[] n = {0};
        req.handler(
            b -> {
              long before = n[0];
              n[0] += b.length();
              if (before / (32 << 20) != n[0] / (32 << 20)) {
                countHeapGrowth = Math.max(countHeapGrowth, usedMemory() - countHeapBaseline);
                countSamples++;
              }
            });
        req.endHandler(v -> resp.end(Long.toString(n[0])));
      }
      default -> resp.setStatusCode(404).end();
    }
  }

  static volatile long countHeapBaseline;
  static volatile long countHeapGrowth;
  static volatile int countSamples;

  /**
   * Writes {@code total} bytes of BLOCK with back-pressure. {@code gated}: stops at {@link #GATE}
   * bytes until the test runs {@link #openGate}.
   */
  static void pump(HttpServerResponse resp, long total, AtomicLong counter, boolean gated) {
    Buffer chunk = Buffer.buffer(BLOCK);
    Context ctx = Vertx.currentContext();
    Runnable[] step = new Runnable[1];
    boolean[] waited = {!gated};
    step[0] =
        () -> {
          while (!resp.writeQueueFull()) {
            if (resp.closed()) return;
            long left = total - counter.get();
            if (left <= 0) {
              resp.end();
              return;
            }
            if (!waited[0] && counter.get() >= GATE) {
              waited[0] = true;
              openGate = () -> ctx.runOnContext(v -> step[0].run());
              return;
            }
            int n = (int) Math.min(BLOCK.length, left);
            resp.write(n == BLOCK.length ? chunk : chunk.getBuffer(0, n));
            counter.addAndGet(n);
          }
          resp.drainHandler(v -> step[0].run());
        };
    step[0].run();
  }

  @BeforeAll
  static void start() throws Exception {
    up = new Upstream("z", CompressionIT::handle);
    gw =
        RunningGateway.start(
            TestSupport.head()
                    .replace("  shutdown:", "  limits: { maxBodyBytes: 1MiB }\n  shutdown:")
                + """
                  metrics: { enabled: true }
                upstreams:
                  z: { targets: [ { url: %s } ] }
                middlewares:
                  zip: { compression: { algorithms: [br, gzip], minSize: 1KiB, types: [application/json, "text/*"] } }
                  gzip-first: { compression: { algorithms: [gzip, br], types: [application/json] } }
                  inflate: { compression: { decompressRequests: true } }
                groups:
                  - prefix: /g
                    stripPrefix: true
                    middlewares: [gzip-first]
                    routes: [ { name: gzip-first, match: { path: /** }, upstream: z } ]
                  - prefix: /in
                    stripPrefix: true
                    middlewares: [inflate]
                    routes: [ { name: inflate, match: { path: /** }, upstream: z } ]
                routes:
                  - { name: zip, match: { path: /** }, upstream: z, middlewares: [zip] }
                """
                    .formatted(up.url()));
  }

  @AfterAll
  static void stop() {
    if (gw != null) gw.close();
    if (up != null) up.close();
  }

  /** A GET with these headers; the raw (still encoded) body. */
  static HttpResponse<byte[]> raw(String path, String... headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(gw.url(path))).timeout(Duration.ofSeconds(60));
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return TestSupport.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  static String header(HttpResponse<?> r, String name) {
    return r.headers().firstValue(name).orElse(null);
  }

  static byte[] decode(HttpResponse<byte[]> r) throws IOException {
    String ce = header(r, "Content-Encoding");
    if (ce == null) return r.body();
    try (InputStream in =
        ce.equals("gzip")
            ? new GZIPInputStream(new ByteArrayInputStream(r.body()))
            : new BrotliInputStream(new ByteArrayInputStream(r.body()))) {
      return in.readAllBytes();
    }
  }

  /** Runs a real client to its end (killed if it outlives a generous bound); its stdout. */
  static String run(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      CompletableFuture<byte[]> out =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return p.getInputStream().readAllBytes();
                } catch (IOException e) {
                  throw new IllegalStateException(e);
                }
              });
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", command.get(0)).isTrue();
      String text = new String(out.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8);
      assertThat(p.exitValue()).as("%s: %s", command, text).isZero();
      return text;
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void curlDecodesBrotliAndGzipToTheUpstreamsBytes() throws Exception {
    Path dir = Files.createTempDirectory("curl");
    byte[] expected = body(200_000);
    String[][] cases = {
      {null, "br"}, // curl --compressed offers gzip and br; br is configured first
      {"Accept-Encoding: gzip", "gzip"},
      {"Accept-Encoding: br", "br"},
    };
    for (String[] c : cases) {
      Path headers = dir.resolve("h");
      Path out = dir.resolve("b");
      List<String> cmd =
          new java.util.ArrayList<>(
              List.of(
                  "curl", "-sS", "--compressed", "-D", headers.toString(), "-o", out.toString()));
      if (c[0] != null) cmd.addAll(List.of("-H", c[0]));
      cmd.add(gw.url("/json/200000"));
      run(cmd);
      String h = Files.readString(headers).toLowerCase();
      assertThat(h).as("%s", c[0]).contains("content-encoding: " + c[1] + "\r\n");
      assertThat(h).contains("vary: origin, accept-encoding");
      assertThat(h).doesNotContain("content-length");
      assertThat(Files.readAllBytes(out)).as("%s", c[0]).isEqualTo(expected);
    }
  }

  @Test
  void pythonsGzipAndBrotliModulesDecodeTheSameBytes() throws Exception {
    Path dir = Files.createTempDirectory("py");
    String script =
        """
        import sys, gzip, brotli, urllib.request
        url, ae, out = sys.argv[1], sys.argv[2], sys.argv[3]
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept-Encoding": ae})) as r:
            ce, raw = r.headers.get("Content-Encoding"), r.read()
        body = gzip.decompress(raw) if ce == "gzip" else brotli.decompress(raw) if ce == "br" else raw
        open(out, "wb").write(body)
        print(ce, len(raw))
        """;
    byte[] expected = body(300_000);
    for (String[] c :
        new String[][] {{"gzip", "gzip"}, {"br", "br"}, {"gzip;q=0.5, br;q=0.9", "br"}}) {
      Path out = dir.resolve("body");
      String said =
          run(
              List.of(
                  "/usr/bin/python3",
                  "-c",
                  script,
                  gw.url("/chunked/300000"),
                  c[0],
                  out.toString()));
      String[] f = said.trim().split(" ");
      assertThat(f[0]).as(c[0]).isEqualTo(c[1]);
      assertThat(Long.parseLong(f[1])).as("compressed size").isLessThan(expected.length / 3);
      assertThat(Files.readAllBytes(out)).as(c[0]).isEqualTo(expected);
    }
  }

  @Test
  void theCodingFollowsQValuesAndTheConfiguredOrder() throws Exception {
    String[][] cases = {
      {"/json/5000", "gzip, br", "br"},
      {"/g/json/5000", "gzip, br", "gzip"},
      {"/json/5000", "br;q=0.5, gzip", "gzip"},
      {"/json/5000", "br;q=0, *", "gzip"},
      {"/json/5000", "*", "br"},
      {"/g/json/5000", "*;q=0.1, gzip;q=0", "br"},
      {"/json/5000", "identity", null},
      {"/json/5000", "gzip;q=0, br;q=0", null},
      {"/json/5000", "deflate", null},
    };
    byte[] expected = body(5000);
    for (String[] c : cases) {
      HttpResponse<byte[]> r = raw(c[0], "Accept-Encoding", c[1]);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(header(r, "Content-Encoding")).as("%s %s", c[0], c[1]).isEqualTo(c[2]);
      assertThat(decode(r)).as("%s %s", c[0], c[1]).isEqualTo(expected);
      assertThat(r.headers().allValues("Vary")).containsExactly("Origin, Accept-Encoding");
      if (c[2] != null) assertThat(header(r, "ETag")).isEqualTo("W/\"v1\"");
      else {
        assertThat(header(r, "ETag")).isEqualTo("\"v1\"");
        assertThat(header(r, "Content-Length")).isEqualTo("5000");
      }
    }
    HttpResponse<byte[]> none = raw("/json/5000");
    assertThat(header(none, "Content-Encoding")).as("no Accept-Encoding").isNull();
    assertThat(none.body()).isEqualTo(expected);
  }

  @Test
  void everySkipRuleSendsTheUpstreamsBodyAsItIs() throws Exception {
    String gz = "gzip, br";
    // below minSize, a type not listed, already encoded, no-transform
    HttpResponse<byte[]> small = raw("/json/1000", "Accept-Encoding", gz);
    assertThat(header(small, "Content-Encoding")).isNull();
    assertThat(small.body()).isEqualTo(body(1000));
    assertThat(header(small, "Vary"))
        .as("not compressible: no Accept-Encoding in Vary")
        .isEqualTo("Origin");
    HttpResponse<byte[]> png = raw("/typed?type=image/png", "Accept-Encoding", gz);
    assertThat(header(png, "Content-Encoding")).isNull();
    assertThat(header(png, "Vary")).isNull();
    assertThat(png.body()).isEqualTo(body(5000));
    assertThat(header(raw("/typed?type=text/csv", "Accept-Encoding", gz), "Content-Encoding"))
        .as("text/* matches text/csv")
        .isEqualTo("br");
    HttpResponse<byte[]> encoded = raw("/encoded", "Accept-Encoding", gz);
    assertThat(header(encoded, "Content-Encoding")).isEqualTo("gzip");
    assertThat(encoded.body()).as("not compressed twice").isEqualTo(gzip(body(5000)));
    HttpResponse<byte[]> noTransform = raw("/notransform", "Accept-Encoding", gz);
    assertThat(header(noTransform, "Content-Encoding")).isNull();
    assertThat(noTransform.body()).isEqualTo(body(5000));

    // HEAD, 204, 304
    HttpResponse<Void> head =
        TestSupport.HTTP.send(
            HttpRequest.newBuilder(URI.create(gw.url("/json/5000")))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .header("Accept-Encoding", gz)
                .build(),
            HttpResponse.BodyHandlers.discarding());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(header(head, "Content-Encoding")).isNull();
    assertThat(header(head, "ETag")).isEqualTo("\"v1\"");
    for (int status : new int[] {204, 304}) {
      HttpResponse<byte[]> r = raw("/status/" + status, "Accept-Encoding", gz);
      assertThat(r.statusCode()).isEqualTo(status);
      assertThat(header(r, "Content-Encoding")).isNull();
      assertThat(header(r, "ETag")).as("a strong validator stays strong").isEqualTo("\"v1\"");
    }

    // a Range request, and the 206 it gets
    HttpResponse<byte[]> range = raw("/range", "Accept-Encoding", gz, "Range", "bytes=0-99");
    assertThat(range.statusCode()).isEqualTo(206);
    assertThat(header(range, "Content-Encoding")).isNull();
    assertThat(range.body()).isEqualTo(Arrays.copyOf(body(5000), 100));
    HttpResponse<byte[]> whole = raw("/range", "Accept-Encoding", gz);
    assertThat(header(whole, "Content-Encoding")).isEqualTo("br");
    assertThat(header(whole, "Accept-Ranges")).as("no ranges of a compressed body").isNull();
    assertThat(decode(whole)).isEqualTo(body(5000));
  }

  @Test
  void anUnknownLengthBodyIsCompressedWhateverItsSize() throws Exception {
    HttpResponse<byte[]> r = raw("/chunked/100", "Accept-Encoding", "gzip");
    assertThat(header(r, "Content-Encoding")).isEqualTo("gzip");
    assertThat(decode(r)).isEqualTo(body(100));
    HttpResponse<byte[]> empty = raw("/chunked/0", "Accept-Encoding", "br");
    assertThat(header(empty, "Content-Encoding")).isEqualTo("br");
    assertThat(decode(empty)).isEmpty();
  }

  @Test
  void bytesInAndOutAreCountedByAlgorithm() throws Exception {
    Scrape before = Scrape.of(gw);
    raw("/json/100000", "Accept-Encoding", "gzip");
    raw("/json/100000", "Accept-Encoding", "br");
    Scrape after = Scrape.of(gw);
    for (String a : List.of("gzip", "br")) {
      double in = count(after, a, "in") - count(before, a, "in");
      double out = count(after, a, "out") - count(before, a, "out");
      assertThat(in).as(a).isEqualTo(100_000);
      assertThat(out).as(a).isPositive().isLessThan(100_000 / 3.0);
    }
    assertThat(after.value("bulwark_compression_streams")).isZero();
  }

  static double count(Scrape s, String algorithm, String direction) {
    var found =
        s.find("bulwark_compression_bytes_total", "algorithm", algorithm, "direction", direction);
    return found.isEmpty() ? 0 : found.get(0).value();
  }

  static long usedHeapAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /**
   * 100 MiB of compressible JSON streamed by the upstream in 64 KiB writes. The upstream stops at 1
   * MiB until the client has decoded its first bytes: a gateway that buffered the response (or held
   * compressed bytes back) would never let them through, and the read would not finish. Then all of
   * it, decoded, must equal what was sent, with the heap of this JVM (the gateway's) after GC
   * sampled along the way.
   */
  @Test
  void a100MiBStreamIsCompressedAsItFlowsWithBoundedHeap() throws Exception {
    openGate = null;
    long baseline = usedHeapAfterGc();
    long maxGrowth = 0;
    int samples = 0;
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(gw.url("/big")))
            .header("Accept-Encoding", "gzip")
            .timeout(Duration.ofSeconds(60))
            .build();
    HttpResponse<InputStream> r =
        TestSupport.HTTP.send(req, HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(header(r, "Content-Encoding")).isEqualTo("gzip");
    MessageDigest got = MessageDigest.getInstance("SHA-256");
    long count = 0;
    try (InputStream in = new GZIPInputStream(r.body(), 64 << 10)) {
      byte[] buf = new byte[64 << 10];
      CompletableFuture<Integer> first =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return in.readNBytes(buf, 0, buf.length);
                } catch (IOException e) {
                  throw new IllegalStateException(e);
                }
              });
      int n = first.get(60, TimeUnit.SECONDS);
      assertThat(n).isEqualTo(buf.length);
      assertThat(bigGenerated.get())
          .as("the upstream had not finished when the client decoded its first bytes")
          .isLessThanOrEqualTo(GATE);
      await().atMost(Duration.ofSeconds(60)).until(() -> openGate != null);
      openGate.run();
      long nextSample = SAMPLE_EVERY;
      do {
        got.update(buf, 0, n);
        count += n;
        if (count >= nextSample) {
          nextSample += SAMPLE_EVERY;
          maxGrowth = Math.max(maxGrowth, usedHeapAfterGc() - baseline);
          samples++;
        }
      } while ((n = in.read(buf)) >= 0);
    }
    assertThat(count).isEqualTo(BIG);
    MessageDigest want = MessageDigest.getInstance("SHA-256");
    for (long pos = 0; pos < BIG; pos += BLOCK.length) want.update(BLOCK);
    assertThat(got.digest()).as("decoded bytes equal the upstream's").isEqualTo(want.digest());
    assertThat(samples).isGreaterThanOrEqualTo(5);
    assertThat(maxGrowth)
        .as("heap growth over the baseline, after GC, during the transfer")
        .isLessThan(MAX_HEAP_GROWTH);
    await().atMost(Duration.ofSeconds(60)).until(() -> CompressionFilter.openEncoders() == 0);
  }

  @Test
  void aClientThatGoesAwayMidStreamClosesTheEncoder() throws Exception {
    endlessGone.set(false);
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write("GET /endless HTTP/1.1\r\nHost: gw\r\nAccept-Encoding: br\r\n\r\n");
      InputStream in = c.socket.getInputStream();
      // the head and the first flushed pieces (a repeated block compresses to little: wait for
      // some bytes, not many)
      ByteArrayOutputStream seen = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      while (seen.size() < 1000) {
        int n = in.read(buf);
        assertThat(n).isPositive();
        seen.write(buf, 0, n);
      }
      assertThat(seen.toString(StandardCharsets.ISO_8859_1).toLowerCase())
          .contains("content-encoding: br");
      assertThat(CompressionFilter.openEncoders()).isEqualTo(1);
    }
    await().atMost(Duration.ofSeconds(60)).untilTrue(endlessGone);
    await().atMost(Duration.ofSeconds(60)).until(() -> CompressionFilter.openEncoders() == 0);
    await().atMost(Duration.ofSeconds(60)).until(() -> gw.gateway.inFlight() == 0);
  }

  @Test
  void anUpstreamThatFailsMidBodyCutsTheResponseAndClosesTheEncoder() throws Exception {
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write("GET /die HTTP/1.1\r\nHost: gw\r\nAccept-Encoding: gzip\r\n\r\n");
      InputStream in = c.socket.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      for (int n; (n = in.read(buf)) >= 0; ) all.write(buf, 0, n);
      String text = all.toString(StandardCharsets.ISO_8859_1);
      assertThat(text.toLowerCase()).contains("content-encoding: gzip");
      assertThat(text).as("cut: no last chunk").doesNotEndWith("0\r\n\r\n");
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> CompressionFilter.openEncoders() == 0);
  }

  static HttpResponse<byte[]> post(String path, byte[] body, String... headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(gw.url(path)))
            .timeout(Duration.ofSeconds(60))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return TestSupport.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void gzipRequestBodiesReachTheUpstreamInflatedAndChunked() throws Exception {
    byte[] data = body(300_000);
    for (String ce : List.of("gzip", "X-GZIP")) {
      HttpResponse<byte[]> r = post("/in/echo", gzip(data), "Content-Encoding", ce);
      assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
      assertThat(r.body()).as(ce).isEqualTo(data);
      assertThat(header(r, "X-Seen-CE")).isEqualTo("null");
      assertThat(header(r, "X-Seen-CL")).isEqualTo("null");
      assertThat(header(r, "X-Seen-TE")).isEqualTo("chunked");
    }
    // two members, as gzip allows
    HttpResponse<byte[]> two =
        post("/in/echo", concat(gzip(body(1000)), gzip(body(2000))), "Content-Encoding", "gzip");
    assertThat(two.body()).isEqualTo(concat(body(1000), body(2000)));
    await().atMost(Duration.ofSeconds(60)).until(() -> CompressionFilter.openEncoders() == 0);
  }

  @Test
  void otherBodiesAndOtherRoutesPassAsTheyAre() throws Exception {
    byte[] gz = gzip(body(5000));
    HttpResponse<byte[]> other = post("/in/echo", gz, "Content-Encoding", "br");
    assertThat(other.body()).isEqualTo(gz);
    assertThat(header(other, "X-Seen-CE")).isEqualTo("br");
    assertThat(header(other, "X-Seen-CL")).isEqualTo(String.valueOf(gz.length));
    HttpResponse<byte[]> plain = post("/in/echo", body(5000));
    assertThat(plain.body()).isEqualTo(body(5000));
    assertThat(header(plain, "X-Seen-CL")).isEqualTo("5000");
    HttpResponse<byte[]> notAsked = post("/echo", gz, "Content-Encoding", "gzip");
    assertThat(notAsked.body()).as("a route without decompressRequests").isEqualTo(gz);
    assertThat(header(notAsked, "X-Seen-CE")).isEqualTo("gzip");
  }

  @Test
  void aBodyThatIsNotGzipIsRefusedAndAnInflatedOneOverTheLimitToo() throws Exception {
    HttpResponse<byte[]> bad = post("/in/echo", body(5000), "Content-Encoding", "gzip");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(new String(bad.body(), StandardCharsets.UTF_8)).contains("not gzip data");
    byte[] gz = gzip(body(5000));
    HttpResponse<byte[]> cut =
        post("/in/echo", Arrays.copyOf(gz, gz.length - 4), "Content-Encoding", "gzip");
    assertThat(cut.statusCode()).isEqualTo(400);
    assertThat(new String(cut.body(), StandardCharsets.UTF_8)).contains("truncated");
    // 20 MiB of zeros in about 20 KiB: limits.maxBodyBytes (1 MiB) counts the inflated bytes
    byte[] bomb = gzip(new byte[20 << 20]);
    assertThat(bomb.length).isLessThan(1 << 20);
    HttpResponse<byte[]> big = post("/in/echo", bomb, "Content-Encoding", "gzip");
    assertThat(big.statusCode()).isEqualTo(413);
    await().atMost(Duration.ofSeconds(60)).until(() -> CompressionFilter.openEncoders() == 0);
  }

  /**
   * The heap after GC plus the pooled direct memory in use: bytes written to a connection wait in
   * Netty's outbound buffer as direct memory, which the heap alone would not show.
   */
  static long usedMemory() {
    long direct = 0;
    for (ByteBufAllocator a :
        java.util.Set.of(PooledByteBufAllocator.DEFAULT, VertxByteBufAllocator.POOLED_ALLOCATOR))
      if (a instanceof ByteBufAllocatorMetricProvider m) direct += m.metric().usedDirectMemory();
    return usedHeapAfterGc() + direct;
  }

  /**
   * 256 MiB of zeros in about 256 KiB of gzip, to an upstream slowed by a GC every 32 MiB: the
   * gateway pulls inflated slices only while the upstream takes them and goes on when it drains
   * (without that, the next piece of the client's body would arrive while the last one is still
   * being inflated, and the body would be refused or lost), every byte arrives, and its heap and
   * pooled direct memory stay far below the inflated size.
   */
  @Test
  void aHighRatioBodyIsInflatedNoFasterThanTheUpstreamReads() throws Exception {
    long size = 256L << 20;
    byte[] bomb = gzip(new byte[(int) size]);
    assertThat(bomb.length).isLessThan(1 << 20);
    try (RunningGateway big =
        RunningGateway.start(
            TestSupport.head()
                    .replace("  shutdown:", "  limits: { maxBodyBytes: 1GiB }\n  shutdown:")
                + """
                upstreams:
                  z: { targets: [ { url: %s } ] }
                middlewares:
                  inflate: { compression: { decompressRequests: true } }
                routes:
                  - { name: count, match: { path: /** }, upstream: z, middlewares: [inflate] }
                """
                    .formatted(up.url()))) {
      countHeapGrowth = 0;
      countSamples = 0;
      countHeapBaseline = usedMemory();
      HttpResponse<String> r =
          TestSupport.HTTP.send(
              HttpRequest.newBuilder(URI.create(big.url("/count")))
                  .timeout(Duration.ofSeconds(120))
                  .header("Content-Encoding", "gzip")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(bomb))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).isEqualTo(Long.toString(size));
      assertThat(countSamples).isEqualTo(8);
      assertThat(countHeapGrowth)
          .as("heap (after GC) and pooled direct memory growth while the upstream read")
          .isLessThan(64L << 20);
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> CompressionFilter.openEncoders() == 0);
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
