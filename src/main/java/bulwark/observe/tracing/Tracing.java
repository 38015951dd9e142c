package bulwark.observe.tracing;

import static bulwark.observe.tracing.SpanAttributes.*;
import static bulwark.observe.tracing.TraceHeaders.*;

import bulwark.config.TracingConfig;
import bulwark.filter.Exchange;
import bulwark.filter.Key;
import bulwark.log.Redact;
import bulwark.observe.GrpcCall;
import bulwark.observe.RequestRecord;
import bulwark.observe.Telemetry;
import bulwark.upstream.target.Outcome;
import bulwark.upstream.target.Target;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenTelemetry tracing: a SERVER span per request and a CLIENT span per upstream try (so retries
 * are separate spans), W3C trace context taken from the client and given to the upstream on every
 * try, exported over OTLP by a bounded batch processor off the event loop. The gateway's own {@link
 * SdkTracerProvider}, never the global one. Per-request state lives in the exchange under a typed
 * key, never in {@link Context#current()}: the request's callbacks run on the event loop in any
 * order.
 */
public final class Tracing implements Telemetry {
  private static final Logger LOG = LoggerFactory.getLogger(Tracing.class);

  /** The methods semantic conventions know; any other is reported as _OTHER. */
  private static final Set<String> KNOWN_METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT");

  private final SdkTracerProvider provider;
  private final Tracer tracer;
  private final TextMapPropagator propagator = W3CTraceContextPropagator.getInstance();

  /** Kept here: the meters hold their counters weakly. */
  private final ExportCounts counts;

  private final Duration closeWait;

  /**
   * What tracing keeps of one exchange, under {@link #STATE}: its spans, or the ids of an unsampled
   * trace.
   */
  private sealed interface TraceState permits Spans, Unsampled {}

  private static final Key<TraceState> STATE = Key.of("tracing");

  /** The spans of one exchange. */
  private static final class Spans implements TraceState {
    final Span server;
    final Context serverContext;
    Span client;

    Spans(Span server, Context serverContext) {
      this.server = server;
      this.serverContext = serverContext;
    }
  }

  /**
   * A new trace that was not sampled: no SDK span at all (that costs on every request), only the
   * ids its traceparent carries upstream with the sampled flag off.
   */
  private record Unsampled(long hi, long lo) implements TraceState {}

  /**
   * New traces are sampled here, by the rule of the SDK's TraceIdRatioBased sampler (the absolute
   * value of a random 64-bit number under ratio × Long.MAX_VALUE); the SDK's own sampler then
   * follows the parent for requests that carry one and records the roots sampled here.
   */
  private final long idUpperBound;

  static long idUpperBound(double ratio) {
    if (ratio <= 0) return Long.MIN_VALUE;
    if (ratio >= 1) return Long.MAX_VALUE;
    return (long) (ratio * Long.MAX_VALUE);
  }

  Tracing(SdkTracerProvider provider, ExportCounts counts, Duration closeWait, double ratio) {
    this.idUpperBound = idUpperBound(ratio);
    this.provider = provider;
    this.tracer = provider.get("bulwark", version());
    this.counts = counts;
    this.closeWait = closeWait;
  }

  /** Tracing as {@code cfg} asks, its span counters registered on {@code registry}. */
  public static Tracing of(TracingConfig cfg, MeterRegistry registry) {
    SdkLogs.install();
    ExportCounts counts = new ExportCounts();
    counts.register(registry);
    SpanExporter exporter = counts.exporter(OtlpExporters.of(cfg));
    BatchSpanProcessor batch =
        BatchSpanProcessor.builder(exporter)
            .setMaxQueueSize(cfg.maxQueueSize())
            .setMaxExportBatchSize(cfg.maxExportBatchSize())
            .setScheduleDelay(cfg.scheduleDelay())
            .setExporterTimeout(cfg.exportTimeout())
            .setMeterProvider(MeterProvider.noop())
            .build();
    Resource resource =
        Resource.getDefault()
            .merge(
                Resource.create(
                    Attributes.of(
                        AttributeKey.stringKey("service.name"), cfg.serviceName(),
                        AttributeKey.stringKey("service.version"), version())));
    SdkTracerProvider provider =
        SdkTracerProvider.builder()
            .setResource(resource)
            // roots reach the SDK only when requestStarted sampled them (see idUpperBound)
            .setSampler(Sampler.parentBased(Sampler.alwaysOn()))
            .addSpanProcessor(counts.processor(batch, cfg.maxQueueSize()))
            .build();
    LOG.info(
        "tracing to {} ({}), sampling {}% of new traces",
        cfg.endpoint(), cfg.protocol(), cfg.sampleRatio().value());
    return new Tracing(
        provider, counts, cfg.exportTimeout().plusSeconds(2), cfg.sampleRatio().fraction());
  }

  private static String version() {
    String v = Tracing.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  // ---- the request path ----

  @Override
  public void requestStarted(Exchange ex) {
    HttpServerRequest req = ex.request();
    String method = req.method().name();
    Context parent = parent(req.headers());
    if (parent == Context.root()) {
      // a new trace: sampled or not is decided here, and an unsampled one never reaches the SDK
      ThreadLocalRandom r = ThreadLocalRandom.current();
      long hi;
      long lo;
      do {
        hi = r.nextLong();
        lo = r.nextLong();
      } while (hi == 0 && lo == 0);
      if (Math.abs(lo) >= idUpperBound) {
        ex.traceIds(TraceIds.traceIdHex(hi, lo), TraceIds.spanIdHex(nonZero(r)));
        ex.put(STATE, new Unsampled(hi, lo));
        return;
      }
    }
    boolean known = KNOWN_METHODS.contains(method);
    Span server =
        tracer
            .spanBuilder(known ? method : "HTTP")
            .setParent(parent)
            .setSpanKind(SpanKind.SERVER)
            .startSpan();
    if (server.isRecording()) {
      server.setAttribute(METHOD, known ? method : "_OTHER");
      if (!known) server.setAttribute(METHOD_ORIGINAL, method);
      server.setAttribute(URL_PATH, Redact.text(req.path()));
      server.setAttribute(URL_SCHEME, req.isSSL() ? "https" : "http");
      HostAndPort authority = req.authority();
      if (authority != null) server.setAttribute(SERVER_ADDRESS, authority.host());
      int port =
          authority != null && authority.port() > 0
              ? authority.port()
              : req.localAddress() == null ? -1 : req.localAddress().port();
      if (port > 0) server.setAttribute(SERVER_PORT, (long) port);
      server.setAttribute(CLIENT_ADDRESS, ex.clientIp());
      server.setAttribute(
          PROTOCOL_VERSION,
          switch (req.version()) {
            case HTTP_1_0 -> "1.0";
            case HTTP_1_1 -> "1.1";
            case HTTP_2 -> "2";
            default -> req.version().alpnName();
          });
      String ua = req.getHeader("User-Agent");
      if (ua != null) server.setAttribute(USER_AGENT, Redact.text(ua));
      server.setAttribute(BULWARK_REQUEST_ID, ex.requestId());
    }
    SpanContext sc = server.getSpanContext();
    if (sc.isValid()) {
      ex.traceIds(sc.getTraceId(), sc.getSpanId());
    }
    ex.put(STATE, new Spans(server, Context.root().with(server)));
  }

  /**
   * The client's trace context, or the root when it sent none or an invalid one (the W3C propagator
   * accepts only a well-formed traceparent; two traceparent headers are ambiguous and ignored too).
   */
  private Context parent(MultiMap headers) {
    if (!headers.contains(TRACEPARENT_NAME)) return Context.root();
    if (headers.getAll(TRACEPARENT_NAME).size() != 1) return Context.root();
    try {
      return propagator.extract(Context.root(), headers, GETTER);
    } catch (RuntimeException e) {
      return Context.root();
    }
  }

  private static long nonZero(ThreadLocalRandom r) {
    long id;
    do {
      id = r.nextLong();
    } while (id == 0);
    return id;
  }

  @Override
  public void tryStarted(Exchange ex, Target target) {
    if (!(ex.get(STATE) instanceof Spans s)) return;
    if (s.client != null) s.client.end();
    String method = ex.request().method().name();
    boolean known = KNOWN_METHODS.contains(method);
    Span client =
        tracer
            .spanBuilder(known ? method : "HTTP")
            .setParent(s.serverContext)
            .setSpanKind(SpanKind.CLIENT)
            .startSpan();
    s.client = client;
    if (client.isRecording()) {
      client.setAttribute(METHOD, known ? method : "_OTHER");
      if (!known) client.setAttribute(METHOD_ORIGINAL, method);
      client.setAttribute(SERVER_ADDRESS, target.host());
      client.setAttribute(SERVER_PORT, (long) target.port());
      client.setAttribute(URL_FULL, fullUrl(target, ex.upstreamUri()));
      if (ex.tryNo() > 1) client.setAttribute(RESEND_COUNT, (long) (ex.tryNo() - 1));
      if (ex.route() != null) client.setAttribute(BULWARK_ROUTE, ex.route().name());
      if (ex.upstream() != null) client.setAttribute(BULWARK_UPSTREAM, ex.upstream().name());
      client.setAttribute(BULWARK_TARGET, target.key());
      client.setAttribute(BULWARK_REQUEST_ID, ex.requestId());
    }
  }

  @Override
  public void propagate(Exchange ex, MultiMap headers) {
    if (headers == null) return;
    if (ex.get(STATE) instanceof Unsampled u) {
      headers.remove(TRACESTATE_NAME);
      headers.set(
          TRACEPARENT_NAME,
          TraceIds.unsampledTraceparent(u.hi(), u.lo(), nonZero(ThreadLocalRandom.current())));
    } else if (ex.get(STATE) instanceof Spans s && s.client != null) {
      // the client's own trace headers were copied upstream: replace them with this try's context
      headers.remove(TRACEPARENT_NAME);
      headers.remove(TRACESTATE_NAME);
      propagator.inject(Context.root().with(s.client), headers, SETTER);
    }
  }

  /** scheme://host:port/path of the try; the query is left out (it may carry credentials). */
  private static String fullUrl(Target t, String uri) {
    String path = uri == null ? "/" : uri;
    int q = path.indexOf('?');
    if (q >= 0) path = path.substring(0, q);
    return (t.ssl() ? "https://" : "http://")
        + (t.host().indexOf(':') >= 0 ? "[" + t.host() + "]" : t.host())
        + ":"
        + t.port()
        + Redact.text(path);
  }

  @Override
  public void tryEnded(Exchange ex, Target target, Outcome outcome, int status, long nanos) {
    if (!(ex.get(STATE) instanceof Spans s) || s.client == null) return;
    Span client = s.client;
    s.client = null;
    if (client.isRecording()) {
      if (status > 0) client.setAttribute(STATUS, (long) status);
      String error = errorType(outcome, status);
      if (error != null) {
        client.setAttribute(ERROR_TYPE, error);
        client.setStatus(StatusCode.ERROR);
      }
    }
    client.end();
  }

  /**
   * error.type of a try: the status code when the upstream answered 4xx or 5xx (as semantic
   * conventions say), else how it failed: connect, timeout, reset, body_reset, body_timeout (the
   * response broke after its head), cancelled (the client left).
   */
  static String errorType(Outcome outcome, int status) {
    return switch (outcome) {
      case CANCELLED -> "cancelled";
      case SUCCESS, HTTP_5XX -> status >= 400 ? String.valueOf(status) : null;
      case CONNECT_FAILURE -> "connect";
      case TIMEOUT -> "timeout";
      case RESET -> "reset";
      case BODY_RESET, BODY_TIMEOUT -> outcome.label;
    };
  }

  @Override
  public void requestFinished(Exchange ex, RequestRecord r) {
    if (!(ex.get(STATE) instanceof Spans s)) return;
    if (s.client != null) {
      s.client.end();
      s.client = null;
    }
    Span server = s.server;
    if (server.isRecording()) {
      int status = r.status();
      server.setAttribute(STATUS, (long) status);
      if (r.route() != null && r.route().pattern() != null) {
        String method = r.method();
        server.updateName(
            (KNOWN_METHODS.contains(method) ? method : "HTTP") + " " + r.route().pattern());
        server.setAttribute(ROUTE, r.route().pattern());
        server.setAttribute(BULWARK_ROUTE, r.route().name());
      }
      if (r.upstream() != null) server.setAttribute(BULWARK_UPSTREAM, r.upstream().name());
      GrpcCall g = r.grpc();
      if (g != null) {
        server.setAttribute(RPC_SYSTEM, "grpc");
        if (g.service() != null) {
          server.setAttribute(RPC_SERVICE, Redact.text(g.service()));
          server.setAttribute(RPC_METHOD, Redact.text(g.method()));
        }
        if (g.status() != GrpcCall.NONE) server.setAttribute(RPC_GRPC_STATUS, (long) g.status());
      }
      if (status >= 500) {
        server.setAttribute(ERROR_TYPE, String.valueOf(status));
        server.setStatus(StatusCode.ERROR);
      } else if (status == 499) {
        server.setAttribute(ERROR_TYPE, "cancelled");
      }
    }
    server.end();
  }

  // ---- lifecycle ----

  /** Exports what is queued (for as long as one export may take), then stops. */
  @Override
  public void close() {
    provider.shutdown().join(closeWait.toMillis(), TimeUnit.MILLISECONDS);
  }
}
