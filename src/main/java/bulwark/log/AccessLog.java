package bulwark.log;

import bulwark.config.AccessLogConfig;
import bulwark.observe.GrpcCall;
import bulwark.observe.RequestRecord;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import net.logstash.logback.marker.LogstashMarker;
import org.slf4j.LoggerFactory;

/**
 * One JSON line per request with Elastic Common Schema field names, through Logback, an async
 * appender that never blocks the event loop (it drops when its queue is full), and {@link
 * AccessEncoder}. Written to stdout or a file; can be turned off.
 */
public final class AccessLog {
  public static final String LOGGER = "bulwark.access";

  private final Logger logger;
  private volatile boolean enabled;

  private AccessLogConfig current;

  public AccessLog() {
    this(LOGGER);
  }

  /** An access log of its own logger (the gateway's warm-up writes to one that discards). */
  public AccessLog(String loggerName) {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    this.logger = ctx.getLogger(loggerName);
  }

  /** Applies (or re-applies after a reload) the access-log config. */
  public synchronized void configure(AccessLogConfig cfg) {
    if (cfg.equals(current)) return;
    current = cfg;
    logger.detachAndStopAllAppenders();
    logger.setAdditive(false);
    logger.setLevel(Level.INFO);
    enabled = cfg.enabled();
    if (!cfg.enabled()) return;
    LoggerContext ctx = logger.getLoggerContext();
    // the line is written directly (AccessEncoder); credentials never reach it, whatever field a
    // client puts them in (a token in a path, say): those fields pass through Redact
    AccessEncoder enc = new AccessEncoder();
    enc.setContext(ctx);
    enc.start();
    BufferedStreamAppender out = new BufferedStreamAppender(cfg.output());
    out.setContext(ctx);
    out.setName("access-out");
    out.setEncoder(enc);
    out.start();
    BatchingAsyncAppender async = new BatchingAsyncAppender(out, 65536);
    async.setContext(ctx);
    async.setName("access-async");
    async.start();
    logger.addAppender(async);
  }

  public boolean enabled() {
    return enabled;
  }

  public void log(RequestRecord r) {
    if (!enabled) return;
    AccessMarker m =
        new AccessMarker(
            r.method(),
            r.path(),
            r.status(),
            r.durationNanos(),
            r.clientIp(),
            r.userAgent(),
            r.requestId(),
            r.route() == null ? null : r.route().name(),
            r.target() == null ? null : r.target().key(),
            r.upstreamNanos());
    m.consumer = r.consumer();
    m.requestIdFromClient = r.requestIdFromClient();
    m.traceId = r.traceId();
    m.spanId = r.spanId();
    m.upstream = r.upstream() == null ? null : r.upstream().name();
    m.upstreamError = r.upstreamError();
    m.fault = r.fault();
    m.grpc = r.grpc();
    logger.info(m, "");
  }

  /** Stops the appenders, flushing what is queued. */
  public synchronized void stop() {
    for (var it = logger.iteratorForAppenders(); it.hasNext(); ) {
      Appender<ILoggingEvent> a = it.next();
      a.stop();
    }
  }

  /** Writes the ECS fields at the root of the JSON line. */
  static final class AccessMarker extends LogstashMarker {
    private final String method, path, clientIp, userAgent, requestId, route, target;
    private final int status;
    private final long durationNs, upstreamNs;

    /** The request id came from the client; one Bulwark made (hex digits) needs no redaction. */
    boolean requestIdFromClient = true;

    /** The caller named by an auth middleware (ECS user.name); null when none. */
    String consumer;

    /** The request's trace and server span (ECS trace.id, span.id); null when not traced. */
    String traceId, spanId;

    /**
     * The upstream that served the request (the backend a route's weights or canary rules chose, or
     * the one it failed over to); null when the request never got to one.
     */
    String upstream;

    /**
     * How the upstream failed this request's last try (connect, reset, timeout, body_reset,
     * body_timeout); null when it did not.
     */
    String upstreamError;

    /** The fault a fault middleware injected (delay, abort, delay,abort); null when none. */
    String fault;

    /** A gRPC request's service, method and final status (rpc.*); null for other requests. */
    GrpcCall grpc;

    AccessMarker(
        String method,
        String path,
        int status,
        long durationNs,
        String clientIp,
        String userAgent,
        String requestId,
        String route,
        String target,
        long upstreamNs) {
      super("ACCESS");
      this.method = method;
      this.path = path;
      this.status = status;
      this.durationNs = durationNs;
      this.clientIp = clientIp;
      this.userAgent = userAgent;
      this.requestId = requestId;
      this.route = route;
      this.target = target;
      this.upstreamNs = upstreamNs;
    }

    /** The constant fields, encoded once. */
    private static final byte[] CONSTANT =
        AccessEncoder.ascii(",\"event.kind\":\"event\",\"event.dataset\":\"bulwark.access\"");

    private static final AccessEncoder.Name METHOD = new AccessEncoder.Name("http.request.method");
    private static final AccessEncoder.Name PATH = new AccessEncoder.Name("url.path");
    private static final AccessEncoder.Name STATUS =
        new AccessEncoder.Name("http.response.status_code");
    private static final AccessEncoder.Name DURATION = new AccessEncoder.Name("event.duration");
    private static final AccessEncoder.Name CLIENT_IP = new AccessEncoder.Name("client.ip");
    private static final AccessEncoder.Name USER = new AccessEncoder.Name("user.name");
    private static final AccessEncoder.Name USER_AGENT =
        new AccessEncoder.Name("user_agent.original");
    private static final AccessEncoder.Name REQUEST_ID = new AccessEncoder.Name("http.request.id");
    private static final AccessEncoder.Name ROUTE = new AccessEncoder.Name("bulwark.route");
    // bulwark.upstream.name, not bulwark.upstream: Filebeat's expand_keys makes bulwark.upstream
    // the object that holds target, duration and error, so it cannot also be a string
    private static final AccessEncoder.Name UPSTREAM =
        new AccessEncoder.Name("bulwark.upstream.name");
    private static final AccessEncoder.Name TARGET =
        new AccessEncoder.Name("bulwark.upstream.target");
    private static final AccessEncoder.Name UPSTREAM_DURATION =
        new AccessEncoder.Name("bulwark.upstream.duration");
    private static final AccessEncoder.Name UPSTREAM_ERROR =
        new AccessEncoder.Name("bulwark.upstream.error");
    private static final AccessEncoder.Name FAULT = new AccessEncoder.Name("bulwark.fault");
    // OpenTelemetry's RPC semantic conventions (ECS has no RPC fields)
    private static final byte[] RPC_SYSTEM = AccessEncoder.ascii(",\"rpc.system\":\"grpc\"");
    private static final AccessEncoder.Name RPC_SERVICE = new AccessEncoder.Name("rpc.service");
    private static final AccessEncoder.Name RPC_METHOD = new AccessEncoder.Name("rpc.method");
    private static final AccessEncoder.Name GRPC_STATUS =
        new AccessEncoder.Name("rpc.grpc.status_code");
    private static final AccessEncoder.Name TRACE_ID = new AccessEncoder.Name("trace.id");
    private static final AccessEncoder.Name SPAN_ID = new AccessEncoder.Name("span.id");

    /** The ECS fields of this line, each as {@code ,"name":value}. */
    void writeFields(AccessEncoder.Line f) {
      f.raw(CONSTANT);
      // what a client chooses (method, path, user agent, request id) and the consumer name pass
      // through Redact; constants, numbers, config names, the client address and trace ids need not
      f.fieldCached(METHOD, Redact.text(method));
      f.field(PATH, Redact.text(path));
      f.field(STATUS, status);
      f.field(DURATION, durationNs);
      f.fieldCached(CLIENT_IP, clientIp);
      if (consumer != null) f.field(USER, Redact.text(consumer));
      if (userAgent != null) f.field(USER_AGENT, Redact.text(userAgent));
      if (requestIdFromClient) f.field(REQUEST_ID, Redact.text(requestId));
      else f.fieldHex(REQUEST_ID, requestId); // generated: 32 hex digits
      if (route != null) f.fieldCached(ROUTE, route);
      if (upstream != null) f.fieldCached(UPSTREAM, upstream); // a config name
      if (target != null) f.fieldCached(TARGET, target);
      if (upstreamNs >= 0) f.field(UPSTREAM_DURATION, upstreamNs);
      if (upstreamError != null) f.fieldCached(UPSTREAM_ERROR, upstreamError); // a constant label
      if (fault != null) f.fieldCached(FAULT, fault); // a constant label
      if (grpc != null) {
        f.raw(RPC_SYSTEM);
        // names of letters, digits, '_' and '.' only (GrpcCall.of), but chosen by the client
        if (grpc.service() != null) {
          f.fieldCached(RPC_SERVICE, Redact.text(grpc.service()));
          f.fieldCached(RPC_METHOD, Redact.text(grpc.method()));
        }
        if (grpc.status() != GrpcCall.NONE) f.field(GRPC_STATUS, grpc.status());
      }
      // made by Tracing, or parsed from a traceparent that OpenTelemetry checked as lower-case hex
      if (traceId != null) f.fieldHex(TRACE_ID, traceId);
      if (spanId != null) f.fieldHex(SPAN_ID, spanId);
    }

    /** Not used (AccessEncoder writes the line); the same fields, for a generic JSON encoder. */
    @Override
    public void writeTo(JsonGenerator g) throws IOException {
      AccessEncoder.Line l = new AccessEncoder.Line();
      writeFields(l);
      g.writeRaw(new String(l.buf, 0, l.len, java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public boolean equals(Object o) {
      return this == o;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(this);
    }
  }
}
