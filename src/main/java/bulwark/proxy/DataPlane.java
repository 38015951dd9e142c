package bulwark.proxy;

import bulwark.log.AccessLog;
import bulwark.observe.Telemetry;

/** What the forwarder needs from the gateway that owns it. */
public interface DataPlane {
  /** The current snapshot; read once per request, on entry. */
  Snapshot snapshot();

  /** True once shutdown has begun: responses then carry Connection: close. */
  boolean draining();

  AccessLog accessLog();

  /** Metrics, tracing and audit hooks; {@link Telemetry#NONE} when all are off. */
  default Telemetry telemetry() {
    return Telemetry.NONE;
  }

  /** Whether remediation sends route {@code route} straight to its fallback (useFallback). */
  default boolean forcedFallback(String route) {
    return false;
  }

  /** Counts requests in flight across all event loops. */
  void requestStarted();

  void requestFinished();
}
