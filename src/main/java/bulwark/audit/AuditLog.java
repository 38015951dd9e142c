package bulwark.audit;

import bulwark.config.AuditConfig;
import bulwark.config.BulwarkConfig;
import bulwark.filter.Exchange;
import bulwark.filter.ratelimit.RateLimitFilter;
import bulwark.log.EcsEncoder;
import bulwark.log.Redact;
import bulwark.observe.Audit;
import bulwark.observe.ConfigSync;
import bulwark.observe.RequestRecord;
import bulwark.observe.Telemetry;
import bulwark.routing.Route;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.internal.PlatformDependent;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;

/**
 * The audit log: one JSON object per event (ECS field names, dotted keys at the root), to a
 * JSON-lines file and/or Kafka. It is the gateway's {@link Audit} (other parts call {@link #event})
 * and a {@link Telemetry} that audits reloads, admin calls, authentication failures, breaker
 * openings and rate-limit bursts.
 *
 * <p>{@link #event} takes no lock and never blocks, so it is safe on an event loop: it is one offer
 * to a bounded lock-free queue (dropped and counted when full). A dispatcher thread takes the
 * events in the order they were offered, numbers them ({@code event.sequence}, increasing by one
 * per event of this gateway instance) and hands them to each sink, which has its own bounded queue
 * and thread; every sink therefore sees the events in sequence order.
 */
public final class AuditLog implements Audit, Telemetry {
  private static final DateTimeFormatter TS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  /** Shutdown bound for the file sink (the Kafka sink has its own, kafka.closeTimeout). */
  private static final long FILE_CLOSE_MILLIS = 5000;

  /**
   * How long the dispatcher sleeps when there is nothing to hand on: the most an event waits before
   * its sinks see it.
   */
  private static final long DISPATCH_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(10);

  private final List<QueuedSink> sinks = new ArrayList<>(2);
  private final String serviceId = UUID.randomUUID().toString();
  private final String hostName;
  private final Clock clock;
  private final BurstWindows bursts;
  private final long kafkaCloseMillis;

  /**
   * Events offered and not yet numbered; many producers (event loops, any thread), one consumer
   * (the dispatcher).
   */
  private final Queue<AuditEvent> intake;

  private final Thread dispatcher;
  private volatile boolean closing;

  /** Written by the dispatcher thread only. */
  private long sequence;

  AuditLog(AuditConfig cfg, MeterRegistry registry, Clock clock) {
    this.clock = clock;
    this.hostName = hostName();
    this.bursts =
        new BurstWindows(
            cfg.rateLimitBurst().count(), cfg.rateLimitBurst().per().toMillis(), clock);
    if (cfg.file() != null) sinks.add(new FileSink(Path.of(cfg.file()), cfg.queueSize(), registry));
    if (cfg.kafka() != null)
      sinks.add(new KafkaSink(cfg.kafka(), serviceId, cfg.queueSize(), registry));
    this.kafkaCloseMillis = cfg.kafka() == null ? 0 : cfg.kafka().closeTimeout().toMillis();
    this.intake = PlatformDependent.newFixedMpscQueue(cfg.queueSize());
    sinks.forEach(QueuedSink::start);
    this.dispatcher = Thread.ofPlatform().name("bulwark-audit").daemon().start(this::dispatch);
  }

  /**
   * Numbers what was offered, in order, and hands it to the sinks; sleeps a little when there is
   * nothing.
   */
  private void dispatch() {
    while (true) {
      boolean last = closing;
      AuditEvent e;
      while ((e = intake.poll()) != null) {
        e.fields.put("event.sequence", ++sequence);
        for (QueuedSink s : sinks) s.offer(e);
      }
      if (last) return;
      LockSupport.parkNanos(DISPATCH_NANOS);
    }
  }

  /**
   * The audit log for {@code cfg}, its meters on {@code registry}; its sink threads are running.
   */
  public static AuditLog of(AuditConfig cfg, MeterRegistry registry) {
    return new AuditLog(cfg, registry, Clock.systemUTC());
  }

  /** This gateway instance's id: {@code service.id} of its events and their Kafka key. */
  public String serviceId() {
    return serviceId;
  }

  /**
   * The kernel's host name (no DNS lookup, which could stall startup), else $HOSTNAME, else the
   * resolver's.
   */
  private static String hostName() {
    try {
      String h = java.nio.file.Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
      if (!h.isEmpty()) return h;
    } catch (Exception e) {
      // not Linux
    }
    String h = System.getenv("HOSTNAME");
    if (h != null && !h.isBlank()) return h;
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      return "unknown";
    }
  }

  // ---- Audit ----

  @Override
  public void event(String type, Map<String, Object> fields) {
    Map<String, Object> m = new LinkedHashMap<>(24);
    m.put("@timestamp", TS.format(Instant.ofEpochMilli(clock.millis())));
    m.put("event.kind", "event");
    m.put("event.category", category(type));
    m.put("event.action", type);
    m.put("event.outcome", outcome(type));
    m.put("event.sequence", 0L);
    m.put("event.dataset", "bulwark.audit");
    m.put("ecs.version", EcsEncoder.ECS_VERSION);
    m.put("service.name", EcsEncoder.SERVICE);
    m.put("service.id", serviceId);
    m.put("host.name", hostName);
    m.putAll(fields);
    if (closing || !intake.offer(new AuditEvent(m))) {
      for (QueuedSink s : sinks) s.dropped(1);
    }
  }

  /** ECS event.category by the type's prefix. */
  static String category(String type) {
    String prefix = type.indexOf('.') < 0 ? type : type.substring(0, type.indexOf('.'));
    return switch (prefix) {
      case "config", "remediation" -> "configuration";
      case "auth" -> "authentication";
      case "admin" -> "web";
      case "breaker", "ratelimit" -> "network";
      default -> "process";
    };
  }

  private static String outcome(String type) {
    return type.endsWith("failed") || type.endsWith("failure") || type.endsWith("rejected")
        ? "failure"
        : "success";
  }

  // ---- Telemetry ----

  @Override
  public void requestFinished(Exchange ex, RequestRecord rec) {
    int status = rec.status();
    if (status != 401 && status != 403 && status != 429) return;
    Route r = rec.route();
    int i = rec.filterIndex();
    if (r == null || i < 0 || i >= r.middlewareNames().size()) return;
    String middleware = r.middlewareNames().get(i);
    if (status == 429) {
      if (ex.chain()[i] instanceof RateLimitFilter) burst(middleware, r.name());
      return;
    }
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("bulwark.route", r.name());
    f.put("bulwark.middleware.name", middleware);
    f.put("client.ip", rec.clientIp());
    f.put("http.request.method", rec.method());
    f.put("url.path", Redact.text(rec.path()));
    f.put("http.response.status_code", status);
    f.put("http.request.id", rec.requestId());
    if (rec.consumer() != null) f.put("user.name", rec.consumer());
    if (rec.rejectDetail() != null) f.put("event.reason", Redact.text(rec.rejectDetail()));
    event("auth.failure", f);
  }

  private void burst(String middleware, String route) {
    BurstWindows.Window w = bursts.refused(middleware, route);
    if (w == null) return;
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("bulwark.route", route);
    f.put("bulwark.middleware.name", middleware);
    f.put("bulwark.ratelimit.rejected", w.count.get());
    f.put("bulwark.ratelimit.threshold", bursts.threshold());
    f.put("bulwark.ratelimit.window_seconds", bursts.windowMillis() / 1000.0);
    f.put("event.start", TS.format(Instant.ofEpochMilli(w.startMillis)));
    event("ratelimit.burst", f);
  }

  @Override
  public void breakerTransition(String upstream, String breaker, String from, String to) {
    if (!to.equals("OPEN") && !to.equals("FORCED_OPEN")) return;
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("bulwark.upstream.name", upstream);
    f.put("bulwark.breaker.name", breaker);
    f.put("bulwark.breaker.from", from.toLowerCase(java.util.Locale.ROOT));
    f.put("bulwark.breaker.to", to.toLowerCase(java.util.Locale.ROOT));
    event("breaker.opened", f);
  }

  @Override
  public void reloaded(
      String reason, BulwarkConfig before, BulwarkConfig after, List<String> errors) {
    reloaded(reason, before, after, errors, null);
  }

  /** A reload; one of a config from etcd also names the etcd revision (and, refused, the keys). */
  @Override
  public void reloaded(
      String reason,
      BulwarkConfig before,
      BulwarkConfig after,
      List<String> errors,
      ConfigSync sync) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("event.reason", reason);
    if (sync != null) {
      f.put("bulwark.config.source", sync.source());
      f.put("bulwark.etcd.revision", sync.revision());
      if (after == null) {
        f.put("bulwark.etcd.served_revision", sync.served());
        f.put("bulwark.etcd.keys", sync.keys());
      }
    }
    if (after == null) {
      f.put("bulwark.config.errors", errors.stream().map(Redact::text).toList());
      event("config.reload_failed", f);
      return;
    }
    bursts.clear();
    if (before != null) {
      ConfigDiff d = ConfigDiff.of(before, after);
      names(f, "routes", d.routes());
      names(f, "upstreams", d.upstreams());
      names(f, "middlewares", d.middlewares());
      f.put("bulwark.config.sections_changed", d.sections());
    }
    event("config.reloaded", f);
  }

  private static void names(Map<String, Object> f, String what, ConfigDiff.Names n) {
    f.put("bulwark.config." + what + ".added", n.added());
    f.put("bulwark.config." + what + ".removed", n.removed());
    f.put("bulwark.config." + what + ".modified", n.modified());
  }

  @Override
  public void adminCall(String method, String path, int status, String peer) {
    boolean read = method.equals("GET") || method.equals("HEAD");
    if (read && status != 401 && status != 403) return;
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("event.outcome", status < 400 ? "success" : "failure");
    f.put("http.request.method", method);
    f.put("url.path", Redact.text(path));
    f.put("http.response.status_code", status);
    f.put("source.ip", peer);
    event("admin.call", f);
  }

  /** Writes what is queued and stops the sinks, each within its bound. */
  @Override
  public void close() {
    closing = true;
    LockSupport.unpark(dispatcher);
    try {
      dispatcher.join(FILE_CLOSE_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!dispatcher.isAlive()) {
      // offered while the dispatcher made its last round: never handed on
      long left = 0;
      while (intake.poll() != null) left++;
      for (QueuedSink s : sinks) s.dropped(left);
    }
    for (QueuedSink s : sinks)
      s.close(s instanceof KafkaSink ? kafkaCloseMillis : FILE_CLOSE_MILLIS);
  }
}
