package bulwark.it;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;

/**
 * A real OTLP trace receiver on loopback: OTLP/HTTP (POST /v1/traces, protobuf) or OTLP/gRPC over
 * h2c (the 5-byte gRPC frame around the same protobuf). Keeps every span it decodes, and the
 * headers of the last export.
 */
final class OtlpReceiver implements AutoCloseable {
  static final String GRPC_PATH = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

  /** One received span, ids in lower-case hex (parent "" for a root span). */
  record Received(
      String traceId,
      String spanId,
      String parentSpanId,
      String name,
      Span.SpanKind kind,
      Map<String, Object> attributes,
      Status.StatusCode status,
      Map<String, Object> resource) {
    Object attr(String key) {
      return attributes.get(key);
    }
  }

  final ConcurrentLinkedQueue<Received> spans = new ConcurrentLinkedQueue<>();
  final AtomicReference<io.vertx.core.MultiMap> lastHeaders = new AtomicReference<>();
  private final Vertx vertx = Vertx.vertx();
  private final HttpServer server;
  final int port;

  private OtlpReceiver(boolean grpc) throws Exception {
    server =
        vertx
            .createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(true))
            .requestHandler(req -> req.body().onSuccess(body -> handle(req, body, grpc)));
    server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    port = server.actualPort();
  }

  /** OTLP/HTTP with protobuf bodies. */
  static OtlpReceiver http() throws Exception {
    return new OtlpReceiver(false);
  }

  /** OTLP/gRPC over cleartext HTTP/2. */
  static OtlpReceiver grpc() throws Exception {
    return new OtlpReceiver(true);
  }

  String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  private void handle(HttpServerRequest req, Buffer body, boolean grpc) {
    try {
      if (grpc) {
        if (req.version() != HttpVersion.HTTP_2 || !req.path().equals(GRPC_PATH)) {
          req.response().setStatusCode(404).end();
          return;
        }
        // one length-prefixed message: compressed flag (0), 4-byte big-endian length, protobuf
        int len = body.getInt(1);
        record(ExportTraceServiceRequest.parseFrom(body.getBytes(5, 5 + len)), req);
        req.response()
            .putHeader("content-type", "application/grpc")
            .putTrailer("grpc-status", "0")
            .end(Buffer.buffer(new byte[5]));
        return;
      }
      if (!req.path().equals("/v1/traces")
          || !"application/x-protobuf".equals(req.getHeader("Content-Type"))) {
        req.response().setStatusCode(404).end();
        return;
      }
      record(ExportTraceServiceRequest.parseFrom(body.getBytes()), req);
      req.response().putHeader("Content-Type", "application/x-protobuf").end(Buffer.buffer());
    } catch (Exception e) {
      req.response().setStatusCode(400).end();
    }
  }

  private void record(ExportTraceServiceRequest r, HttpServerRequest req) {
    lastHeaders.set(io.vertx.core.MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
    HexFormat hex = HexFormat.of();
    for (ResourceSpans rs : r.getResourceSpansList()) {
      Map<String, Object> resource = attributes(rs.getResource());
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (Span s : ss.getSpansList()) {
          spans.add(
              new Received(
                  hex.formatHex(s.getTraceId().toByteArray()),
                  hex.formatHex(s.getSpanId().toByteArray()),
                  hex.formatHex(s.getParentSpanId().toByteArray()),
                  s.getName(),
                  s.getKind(),
                  attributes(s.getAttributesList()),
                  s.getStatus().getCode(),
                  resource));
        }
      }
    }
  }

  private static Map<String, Object> attributes(Resource r) {
    return attributes(r.getAttributesList());
  }

  private static Map<String, Object> attributes(List<KeyValue> kvs) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (KeyValue kv : kvs) {
      AnyValue v = kv.getValue();
      m.put(
          kv.getKey(),
          switch (v.getValueCase()) {
            case STRING_VALUE -> v.getStringValue();
            case INT_VALUE -> v.getIntValue();
            case BOOL_VALUE -> v.getBoolValue();
            case DOUBLE_VALUE -> v.getDoubleValue();
            default -> v.toString();
          });
    }
    return m;
  }

  /** The spans of one trace received so far. */
  List<Received> trace(String traceId) {
    return spans.stream().filter(s -> s.traceId().equals(traceId)).toList();
  }

  /** The first span of {@code kind} in the trace, once it has arrived. */
  Received await(String traceId, Span.SpanKind kind) {
    return Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> trace(traceId).stream().filter(s -> s.kind() == kind).findFirst(),
            Optional::isPresent)
        .orElseThrow();
  }

  @Override
  public void close() {
    try {
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // closing
    }
  }
}
