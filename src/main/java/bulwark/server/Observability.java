package bulwark.server;

import bulwark.audit.AuditLog;
import bulwark.config.BulwarkConfig;
import bulwark.observe.Audit;
import bulwark.observe.Telemetry;
import bulwark.observe.metrics.GatewayMetrics;
import bulwark.observe.metrics.MeterSetup;
import bulwark.observe.metrics.MetricsView;
import bulwark.observe.tracing.Tracing;
import bulwark.remediation.Remediations;
import bulwark.remediation.RuntimeView;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * The gateway's observability parts (metrics, tracing, audit, remediation), built once at startup
 * from the config: changes to observability take effect after a restart. Each part that listens to
 * the gateway is a {@link Telemetry}; {@link #telemetry()} fans out to all of them.
 */
public final class Observability {
  private final List<Telemetry> parts = new ArrayList<>();
  private volatile Telemetry telemetry = Telemetry.NONE;

  /**
   * Where every part registers its meters: Prometheus when observability.metrics is enabled, else a
   * registry that keeps nothing.
   */
  private final MeterRegistry registry;

  private volatile Audit audit = Audit.NONE;

  /** Alert-driven actions (admin POST /alerts). */
  private Remediations remediation;

  /** The Prometheus metrics part, or null when metrics are off. */
  private GatewayMetrics metrics;

  private Observability(MeterRegistry registry) {
    this.registry = registry;
  }

  /**
   * Builds the parts the config asks for. Runs before the first route table is compiled.
   *
   * @param metricsView what the metrics read of the gateway
   * @param runtimeView what remediation reads and acts on
   */
  public static Observability create(
      BulwarkConfig cfg, MetricsView metricsView, RuntimeView runtimeView) {
    boolean metrics = cfg.observability().metrics().enabled();
    Observability o =
        new Observability(metrics ? prometheusRegistry() : new CompositeMeterRegistry());
    // the audit log first: the parts built after it may take o.audit() as they are built
    if (cfg.observability().audit() != null) {
      AuditLog audit = AuditLog.of(cfg.observability().audit(), o.registry);
      o.audit = audit;
      o.parts.add(audit);
    }
    if (metrics) {
      o.metrics = new GatewayMetrics(metricsView, o.registry);
      o.parts.add(o.metrics);
    }
    o.remediation = new Remediations(runtimeView, o.registry, o::audit, Clock.systemUTC());
    if (cfg.observability().tracing().enabled())
      o.parts.add(Tracing.of(cfg.observability().tracing(), o.registry));
    o.telemetry = Telemetry.of(o.parts);
    return o;
  }

  private static PrometheusMeterRegistry prometheusRegistry() {
    PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    MeterSetup.configure(r);
    return r;
  }

  /** Vert.x exists now: parts that need it (timers, clients, servers) start here. */
  public void start(Vertx vertx) {
    remediation.start(vertx);
  }

  /**
   * The listeners are up: the JVM and process meters are bound now, on a thread of their own, off
   * the start's path to the first answer (a scrape before they are waits for them).
   */
  public void listening() {
    GatewayMetrics m = metrics;
    if (m != null) Thread.ofPlatform().name("bulwark-meters").daemon().start(m::bindProcessMeters);
  }

  /** The actions alerts turned on; they outlive reloads. */
  public Remediations remediation() {
    return remediation;
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** The Prometheus registry, or null when metrics are off. */
  public PrometheusMeterRegistry prometheus() {
    return registry instanceof PrometheusMeterRegistry p ? p : null;
  }

  /** The Prometheus metrics part (what admin /metrics serves), or null when metrics are off. */
  public GatewayMetrics metrics() {
    return metrics;
  }

  /** The audit log; {@link Audit#NONE} when no sink is configured. */
  public Audit audit() {
    return audit;
  }

  public Telemetry telemetry() {
    return telemetry;
  }

  /** Flushes exporters and sinks; called last on shutdown. */
  public void close() {
    telemetry.close();
    registry.close();
  }
}
