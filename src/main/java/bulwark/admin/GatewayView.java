package bulwark.admin;

import bulwark.config.BulwarkConfig;
import bulwark.filter.ratelimit.RedisLink;
import bulwark.observe.Audit;
import bulwark.observe.Telemetry;
import bulwark.observe.metrics.GatewayMetrics;
import bulwark.remediation.Remediations;
import bulwark.routing.RouteTable;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Instant;

/** What the admin API reads of the running gateway (implemented by the server). Any thread. */
public interface GatewayView {
  BulwarkConfig config();

  RouteTable table();

  /** Where the admin API reports its calls (the audit log hears them). */
  Telemetry telemetry();

  /** The audit log (config writes are audited there); {@link Audit#NONE} without one. */
  default Audit audit() {
    return Audit.NONE;
  }

  /** The actions alerts turned on (GET /remediations, POST /alerts). */
  Remediations remediation();

  /** The Prometheus metrics part, or null when metrics are off. */
  GatewayMetrics metrics();

  /** The Prometheus registry, or null when metrics are off. */
  PrometheusMeterRegistry prometheus();

  /** The Redis link of cluster rate limits, or null without one. */
  RedisLink redis();

  boolean draining();

  long inFlight();

  boolean nativeTransport();

  long generation();

  Instant lastReload();

  long reloadsOk();

  long reloadsFailed();

  /** Why the last reload was rejected, or null when it succeeded. */
  String lastReloadError();

  /** Where the routing config served came from: file, etcd, or cache (etcd's cache file). */
  default String configSource() {
    return "file";
  }

  /** The etcd side in etcd mode (config writes, the node list); null in file mode. */
  default FleetView fleet() {
    return null;
  }

  /**
   * The start-up warm-up (server.warmup); null when none was started (a gateway that is not the
   * runtime one, in tests).
   */
  default WarmupStatus warmup() {
    return null;
  }

  /**
   * What /health/ready shows of the warm-up.
   *
   * @param state RUNNING (readiness is 503 meanwhile), DONE, FAILED (logged; ready anyway) or
   *     SKIPPED (server.warmup is 0s)
   * @param requests warm-up requests sent so far
   * @param failed of which failed (an error or a non-2xx status)
   * @param detail why it failed or was skipped, or null
   */
  record WarmupStatus(
      String state, java.time.Duration duration, long requests, long failed, String detail) {
    public boolean running() {
      return "RUNNING".equals(state);
    }
  }
}
