package bulwark.log;

import bulwark.config.AccessLogConfig;
import bulwark.filter.Exchange;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import net.logstash.logback.composite.loggingevent.LoggingEventFormattedTimestampJsonProvider;
import net.logstash.logback.composite.loggingevent.LoggingEventJsonProviders;
import net.logstash.logback.composite.loggingevent.LogstashMarkersJsonProvider;
import net.logstash.logback.encoder.LoggingEventCompositeJsonEncoder;
import net.logstash.logback.marker.LogstashMarker;
import org.slf4j.LoggerFactory;

/**
 * One JSON line per request with Elastic Common Schema field names, through Logback, an async
 * appender that never blocks the event loop (it drops when its queue is full), and
 * logstash-logback-encoder. Written to stdout or a file; can be turned off.
 */
public final class AccessLog {
  public static final String LOGGER = "bulwark.access";

  private final Logger logger;
  private volatile boolean enabled;

  private AccessLogConfig current;

  public AccessLog() {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    this.logger = ctx.getLogger(LOGGER);
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
    // three providers: the ECS @timestamp, constant fields written once, and ours; nothing else is looked at per line
    LoggingEventCompositeJsonEncoder enc = new LoggingEventCompositeJsonEncoder();
    enc.setContext(ctx);
    LoggingEventJsonProviders providers = new LoggingEventJsonProviders();
    LoggingEventFormattedTimestampJsonProvider ts = new LoggingEventFormattedTimestampJsonProvider();
    ts.setFieldName("@timestamp");
    ts.setTimeZone("UTC");
    providers.addTimestamp(ts);
    // ecs.version and service.name, as on every Bulwark log line (EcsEncoder)
    providers.addGlobalCustomFields(EcsEncoder.serviceFields());
    providers.addLogstashMarkers(new LogstashMarkersJsonProvider());
    enc.setProviders(providers);
    // credentials never reach the log, whatever field they turn up in (a token in a path, say)
    enc.setJsonGeneratorDecorator(new RedactingDecorator());
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

  public void log(Exchange ex) {
    if (!enabled) return;
    long now = System.nanoTime();
    var req = ex.request;
    AccessMarker m = new AccessMarker(
        req.method().name(), req.path(), ex.status == 0 ? ex.response.getStatusCode() : ex.status, now - ex.startNanos,
        ex.clientIp, req.getHeader("User-Agent"), ex.requestId,
        ex.route == null ? null : ex.route.name(),
        ex.target == null ? null : ex.target.key(),
        ex.upstreamStartNanos == 0 ? -1 : (ex.upstreamEndNanos == 0 ? now : ex.upstreamEndNanos) - ex.upstreamStartNanos);
    m.consumer = ex.consumer;
    m.traceId = ex.traceId;
    m.spanId = ex.spanId;
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
    /** The caller named by an auth middleware (ECS user.name); null when none. */
    String consumer;
    /** The request's trace and server span (ECS trace.id, span.id); null when not traced. */
    String traceId, spanId;

    AccessMarker(String method, String path, int status, long durationNs, String clientIp, String userAgent, String requestId, String route, String target, long upstreamNs) {
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

    @Override
    public void writeTo(JsonGenerator g) throws IOException {
      g.writeStringField("event.kind", "event");
      g.writeStringField("event.dataset", "bulwark.access");
      g.writeStringField("http.request.method", method);
      g.writeStringField("url.path", path);
      g.writeNumberField("http.response.status_code", status);
      g.writeNumberField("event.duration", durationNs);
      g.writeStringField("client.ip", clientIp);
      if (consumer != null) g.writeStringField("user.name", consumer);
      if (userAgent != null) g.writeStringField("user_agent.original", userAgent);
      g.writeStringField("http.request.id", requestId);
      if (route != null) g.writeStringField("bulwark.route", route);
      if (target != null) g.writeStringField("bulwark.upstream.target", target);
      if (upstreamNs >= 0) g.writeNumberField("bulwark.upstream.duration", upstreamNs);
      if (traceId != null) g.writeStringField("trace.id", traceId);
      if (spanId != null) g.writeStringField("span.id", spanId);
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
