package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.OtlpReceiver.Received;
import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Seen;
import bulwark.it.TestSupport.Upstream;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import io.opentelemetry.proto.trace.v1.Status.StatusCode;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenTelemetry tracing end to end: a real gateway, real loopback upstreams and a real OTLP
 * receiver decoding what the gateway exports.
 */
class TracingIT {
  static Upstream bad;
  static Upstream good;

  @TempDir Path dir;

  @BeforeAll
  static void startUpstreams() {
    bad = new Upstream("bad", req -> req.response().setStatusCode(503).end("unavailable"));
    good = new Upstream("good");
  }

  @AfterAll
  static void stopUpstreams() {
    if (bad != null) bad.close();
    if (good != null) good.close();
  }

  /**
   * A gateway tracing to {@code endpoint}. Route items: upstream u (503 target, 200 target; one
   * retry on 503). Route plain: the 200 target only.
   */
  RunningGateway gateway(String endpoint, String tracing) throws Exception {
    return RunningGateway.start(
        TestSupport.head(dir.resolve("access.log"))
            + """
          metrics: { enabled: true }
          tracing: { enabled: true, serviceName: edge, scheduleDelay: 20ms, endpoint: %s, %s }
        upstreams:
          u:
            targets: [ { url: %s }, { url: %s } ]
            retry: { attempts: 2, on: [503], backoff: 1ms, budget: 100%% }
          g:
            targets: [ { url: %s } ]
          dead:
            targets: [ { url: "http://127.0.0.1:%d" } ]
        routes:
          - { name: items, match: { path: "/items/{id}" }, upstream: u }
          - { name: plain, match: { path: /plain/** }, upstream: g }
          - { name: down, match: { path: /down }, upstream: dead }
        """
                .formatted(
                    endpoint, tracing, bad.url(), good.url(), good.url(), TestSupport.freePort()));
  }

  static String hex(int bytes) {
    byte[] b = new byte[bytes];
    ThreadLocalRandom.current().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /**
   * The traceparent an upstream received with request {@code requestId}: version, trace id, parent
   * id, flags.
   */
  static String[] traceparent(Upstream up, String requestId) {
    Seen seen = seen(up, requestId);
    String tp = seen.headers().get("traceparent");
    assertThat(seen.headers().getAll("traceparent"))
        .as("exactly one traceparent upstream")
        .hasSize(1);
    assertThat(tp).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]");
    return tp.split("-");
  }

  /** What {@code up} saw of request {@code requestId}. */
  static Seen seen(Upstream up, String requestId) {
    return up.seen.stream()
        .filter(s -> requestId.equals(s.headers().get("X-Request-Id")))
        .findFirst()
        .orElseThrow();
  }

  static boolean reached(Upstream up, String requestId) {
    return up.seen.stream().anyMatch(s -> requestId.equals(s.headers().get("X-Request-Id")));
  }

  static JsonObject accessLine(Path file, String requestId) throws Exception {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                Files.exists(file)
                    && Files.readAllLines(file).stream()
                        .anyMatch(l -> l.contains("\"" + requestId + "\"")));
    return Files.readAllLines(file).stream()
        .filter(l -> l.contains("\"" + requestId + "\""))
        .map(JsonObject::new)
        .findFirst()
        .orElseThrow();
  }

  static double counter(RunningGateway gw, String name, String reason) {
    MeterRegistry r = gw.gateway.observability().registry();
    var c =
        reason == null
            ? r.find(name).functionCounter()
            : r.find(name).tag("reason", reason).functionCounter();
    return c == null ? -1 : c.count();
  }

  @Test
  void aRetriedRequestIsOneServerSpanWithAClientSpanPerTryEachThePropagatedParentOfItsUpstream()
      throws Exception {
    try (OtlpReceiver collector = OtlpReceiver.http();
        RunningGateway gw =
            gateway(
                collector.endpoint(), "sampleRatio: 100%, headers: { X-Collector-Key: k-123 }")) {
      // round robin: within two requests one starts at the 503 target and is retried on the other
      String traceId = null, parentId = null, requestId = null;
      for (int i = 0; i < 4 && requestId == null; i++) {
        String t = hex(16), p = hex(8), id = "retried-" + i + "-" + p;
        HttpResponse<String> r =
            TestSupport.get(
                gw.url("/items/42"),
                "X-Request-Id",
                id,
                "traceparent",
                "00-" + t + "-" + p + "-01",
                "tracestate",
                "vendor=abc");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        if (reached(bad, id)) {
          traceId = t;
          parentId = p;
          requestId = id;
        }
      }
      assertThat(requestId).as("a request tried the 503 target first").isNotNull();
      String tid = traceId;
      await().atMost(Duration.ofSeconds(30)).until(() -> collector.trace(tid).size() >= 3);
      List<Received> spans = collector.trace(tid);
      assertThat(spans).hasSize(3);

      Received server =
          spans.stream()
              .filter(s -> s.kind() == SpanKind.SPAN_KIND_SERVER)
              .findFirst()
              .orElseThrow();
      assertThat(server.parentSpanId()).as("child of the client's span").isEqualTo(parentId);
      assertThat(server.name()).isEqualTo("GET /items/{id}");
      assertThat(server.attr("http.request.method")).isEqualTo("GET");
      assertThat(server.attr("http.route")).isEqualTo("/items/{id}");
      assertThat(server.attr("http.response.status_code")).isEqualTo(200L);
      assertThat(server.attr("url.path")).isEqualTo("/items/42");
      assertThat(server.attr("url.scheme")).isEqualTo("http");
      assertThat(server.attr("server.address")).isEqualTo("127.0.0.1");
      assertThat(server.attr("server.port")).isEqualTo((long) gw.port);
      assertThat(server.attr("client.address")).isEqualTo("127.0.0.1");
      assertThat(server.attr("network.protocol.version")).isEqualTo("1.1");
      assertThat(server.attr("bulwark.route")).isEqualTo("items");
      assertThat(server.attr("bulwark.upstream")).isEqualTo("u");
      assertThat(server.attr("bulwark.request_id")).isEqualTo(requestId);
      assertThat(server.status()).isNotEqualTo(StatusCode.STATUS_CODE_ERROR);
      assertThat(server.resource())
          .containsEntry("service.name", "edge")
          .containsKey("service.version");

      List<Received> clients =
          spans.stream().filter(s -> s.kind() == SpanKind.SPAN_KIND_CLIENT).toList();
      assertThat(clients)
          .hasSize(2)
          .allSatisfy(
              c -> {
                assertThat(c.parentSpanId()).isEqualTo(server.spanId());
                assertThat(c.name()).isEqualTo("GET");
                assertThat(c.attr("http.request.method")).isEqualTo("GET");
                assertThat(c.attr("server.address")).isEqualTo("127.0.0.1");
                assertThat(c.attr("bulwark.upstream")).isEqualTo("u");
              });
      Received first =
          clients.stream()
              .filter(c -> Long.valueOf(503).equals(c.attr("http.response.status_code")))
              .findFirst()
              .orElseThrow();
      Received second =
          clients.stream()
              .filter(c -> Long.valueOf(200).equals(c.attr("http.response.status_code")))
              .findFirst()
              .orElseThrow();
      assertThat(first.attr("server.port")).isEqualTo((long) bad.port);
      assertThat(first.attr("url.full")).isEqualTo(bad.url() + "/items/42");
      assertThat(first.attr("http.request.resend_count")).isNull();
      assertThat(first.attr("error.type")).isEqualTo("503");
      assertThat(first.status()).isEqualTo(StatusCode.STATUS_CODE_ERROR);
      assertThat(second.attr("server.port")).isEqualTo((long) good.port);
      assertThat(second.attr("http.request.resend_count")).isEqualTo(1L);
      assertThat(second.attr("error.type")).isNull();

      // each upstream saw its own try's span as parent, in the client's trace, sampled, with its
      // tracestate
      String[] toBad = traceparent(bad, requestId);
      String[] toGood = traceparent(good, requestId);
      assertThat(toBad[1]).isEqualTo(tid);
      assertThat(toBad[2]).isEqualTo(first.spanId());
      assertThat(toGood[1]).isEqualTo(tid);
      assertThat(toGood[2]).isEqualTo(second.spanId());
      assertThat(toGood[3]).isEqualTo("01");
      assertThat(seen(good, requestId).headers().get("tracestate")).isEqualTo("vendor=abc");

      // the collector got the configured headers; the access line names the server span
      assertThat(collector.lastHeaders.get().get("X-Collector-Key")).isEqualTo("k-123");
      JsonObject line = accessLine(dir.resolve("access.log"), requestId);
      assertThat(line.getString("trace.id")).isEqualTo(tid);
      assertThat(line.getString("span.id")).isEqualTo(server.spanId());
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> counter(gw, "bulwark.tracing.spans.exported", null) >= 3);
    }
  }

  @Test
  void withoutTraceparentARequestStartsANewTraceAndAnInvalidOneIsIgnored() throws Exception {
    try (OtlpReceiver collector = OtlpReceiver.http();
        RunningGateway gw = gateway(collector.endpoint(), "sampleRatio: 100%")) {
      assertThat(TestSupport.get(gw.url("/plain/new"), "X-Request-Id", "new-trace").statusCode())
          .isEqualTo(200);
      String[] tp = traceparent(good, "new-trace");
      assertThat(tp[3]).isEqualTo("01");
      Received server = collector.await(tp[1], SpanKind.SPAN_KIND_SERVER);
      Received client = collector.await(tp[1], SpanKind.SPAN_KIND_CLIENT);
      assertThat(server.parentSpanId()).as("a root span").isEmpty();
      assertThat(server.name()).isEqualTo("GET /plain/**");
      assertThat(client.spanId()).isEqualTo(tp[2]);

      // a malformed traceparent (and its tracestate) never reach the upstream and never break the
      // request
      String bogus = "00-" + "0".repeat(32) + "-" + hex(8) + "-01";
      HttpResponse<String> r =
          TestSupport.get(
              gw.url("/plain/bogus"),
              "X-Request-Id",
              "bogus-trace",
              "traceparent",
              bogus,
              "tracestate",
              "x=y");
      assertThat(r.statusCode()).isEqualTo(200);
      String[] fresh = traceparent(good, "bogus-trace");
      assertThat(fresh[1]).isNotEqualTo("0".repeat(32));
      assertThat(seen(good, "bogus-trace").headers().get("tracestate")).isNull();
      assertThat(collector.await(fresh[1], SpanKind.SPAN_KIND_SERVER).parentSpanId()).isEmpty();

      // a 404 is traced too, named by its method alone
      String missing = hex(16);
      assertThat(
              TestSupport.get(
                      gw.url("/nowhere"),
                      "X-Request-Id",
                      "unmatched",
                      "traceparent",
                      "00-" + missing + "-" + hex(8) + "-01")
                  .statusCode())
          .isEqualTo(404);
      Received unmatched = collector.await(missing, SpanKind.SPAN_KIND_SERVER);
      assertThat(unmatched.attr("bulwark.request_id")).isEqualTo("unmatched");
      assertThat(unmatched.name()).isEqualTo("GET");
      assertThat(unmatched.attr("http.response.status_code")).isEqualTo(404L);
      assertThat(unmatched.attr("http.route")).isNull();
    }
  }

  @Test
  void atZeroPercentANewTraceIsNotExportedButStillPropagatedUnsampledWhileASampledParentIsFollowed()
      throws Exception {
    try (OtlpReceiver collector = OtlpReceiver.http();
        RunningGateway gw = gateway(collector.endpoint(), "sampleRatio: 0%")) {
      assertThat(
              TestSupport.get(gw.url("/plain/unsampled"), "X-Request-Id", "unsampled").statusCode())
          .isEqualTo(200);
      String[] tp = traceparent(good, "unsampled");
      assertThat(tp[3]).as("parent-based: not sampled, and says so upstream").isEqualTo("00");

      // a sampled parent is followed even at 0%; its spans are exported after the unsampled
      // request's would have been
      String sampled = hex(16);
      assertThat(
              TestSupport.get(
                      gw.url("/plain/sampled"),
                      "X-Request-Id",
                      "sampled",
                      "traceparent",
                      "00-" + sampled + "-" + hex(8) + "-01")
                  .statusCode())
          .isEqualTo(200);
      assertThat(traceparent(good, "sampled")[3]).isEqualTo("01");
      collector.await(sampled, SpanKind.SPAN_KIND_SERVER);
      assertThat(collector.trace(tp[1])).as("the unsampled trace was not exported").isEmpty();
      assertThat(collector.spans).allSatisfy(s -> assertThat(s.traceId()).isEqualTo(sampled));
      // the access log still names the (unsampled) trace, so logs and upstream logs correlate
      assertThat(accessLine(dir.resolve("access.log"), "unsampled").getString("trace.id"))
          .isEqualTo(tp[1]);
    }
  }

  @Test
  void aCollectorThatIsDownCostsNoRequestAndItsSpansAreCountedAsDropped() throws Exception {
    String closed = "http://127.0.0.1:" + TestSupport.freePort();
    try (RunningGateway gw = gateway(closed, "sampleRatio: 100%, exportTimeout: 2s")) {
      for (int i = 0; i < 10; i++) {
        assertThat(TestSupport.get(gw.url("/plain/" + i)).statusCode()).isEqualTo(200);
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> counter(gw, "bulwark.tracing.spans.dropped", "export_failed") >= 20);
      assertThat(counter(gw, "bulwark.tracing.spans.exported", null)).isZero();
      assertThat(gw.gateway.observability().prometheus().scrape())
          .contains("bulwark_tracing_spans_dropped_total{reason=\"export_failed\"} 20.0");
    }
  }

  @Test
  void aCollectorThatHangsFillsTheBoundedQueueAndTheRestIsDroppedNotWaitedFor() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      // holds every export unanswered until told to answer
      ConcurrentLinkedQueue<Runnable> held = new ConcurrentLinkedQueue<>();
      AtomicBoolean answer = new AtomicBoolean();
      HttpServer collector =
          vertx
              .createHttpServer()
              .requestHandler(
                  req ->
                      req.body()
                          .onSuccess(
                              b -> {
                                Context ctx = Vertx.currentContext();
                                Runnable ok =
                                    () ->
                                        ctx.runOnContext(
                                            v ->
                                                req.response()
                                                    .putHeader(
                                                        "Content-Type", "application/x-protobuf")
                                                    .end());
                                if (answer.get()) ok.run();
                                else held.add(ok);
                              }))
              .listen(0, "127.0.0.1")
              .await(10, TimeUnit.SECONDS);
      RunningGateway gw =
          gateway(
              "http://127.0.0.1:" + collector.actualPort(),
              "sampleRatio: 100%, maxQueueSize: 4, maxExportBatchSize: 1, exportTimeout: 60s");
      try {
        for (int i = 0; i < 10; i++) {
          assertThat(TestSupport.get(gw.url("/plain/" + i)).statusCode()).isEqualTo(200);
        }
        // 20 spans, at most 4 between end and export outcome: the rest are dropped at once
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> counter(gw, "bulwark.tracing.spans.dropped", "queue_full") >= 16);
        assertThat(counter(gw, "bulwark.tracing.spans.exported", null)).isZero();
        // the collector recovers: the held export (the only one: the exporter waits for it)
        // completes and the queue drains
        await().atMost(Duration.ofSeconds(30)).until(() -> held.size() == 1);
        answer.set(true);
        held.forEach(Runnable::run);
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> counter(gw, "bulwark.tracing.spans.exported", null) >= 1);
      } finally {
        gw.close();
      }
      // shutdown flushed the queue: every span is accounted for, exported or dropped
      assertThat(
              counter(gw, "bulwark.tracing.spans.exported", null)
                  + counter(gw, "bulwark.tracing.spans.dropped", "queue_full"))
          .isEqualTo(20);
      assertThat(counter(gw, "bulwark.tracing.spans.dropped", "export_failed")).isZero();
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aTryThatCannotConnectIsAnErrorOnTheClientSpanAndTheBadGatewayOnTheServerSpan()
      throws Exception {
    try (OtlpReceiver collector = OtlpReceiver.http();
        RunningGateway gw = gateway(collector.endpoint(), "sampleRatio: 100%")) {
      String t = hex(16);
      assertThat(
              TestSupport.get(gw.url("/down"), "traceparent", "00-" + t + "-" + hex(8) + "-01")
                  .statusCode())
          .isEqualTo(502);
      Received server = collector.await(t, SpanKind.SPAN_KIND_SERVER);
      Received client = collector.await(t, SpanKind.SPAN_KIND_CLIENT);
      assertThat(client.attr("error.type")).isEqualTo("connect");
      assertThat(client.attr("http.response.status_code")).isNull();
      assertThat(client.status()).isEqualTo(StatusCode.STATUS_CODE_ERROR);
      assertThat(server.attr("error.type")).isEqualTo("502");
      assertThat(server.attr("http.response.status_code")).isEqualTo(502L);
      assertThat(server.status()).isEqualTo(StatusCode.STATUS_CODE_ERROR);
    }
  }

  @Test
  void spansCanGoOverOtlpGrpc() throws Exception {
    try (OtlpReceiver collector = OtlpReceiver.grpc();
        RunningGateway gw = gateway(collector.endpoint(), "protocol: grpc, sampleRatio: 100%")) {
      assertThat(TestSupport.get(gw.url("/plain/grpc"), "X-Request-Id", "over-grpc").statusCode())
          .isEqualTo(200);
      String[] tp = traceparent(good, "over-grpc");
      Received client = collector.await(tp[1], SpanKind.SPAN_KIND_CLIENT);
      assertThat(client.spanId()).isEqualTo(tp[2]);
      assertThat(client.attr("http.response.status_code")).isEqualTo(200L);
    }
  }
}
