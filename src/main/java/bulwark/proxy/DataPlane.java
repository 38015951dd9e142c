package bulwark.proxy;

import bulwark.log.AccessLog;

/** What the forwarder needs from the gateway that owns it. */
public interface DataPlane {
  /** The current snapshot; read once per request, on entry. */
  Snapshot snapshot();

  /** True once shutdown has begun: responses then carry Connection: close. */
  boolean draining();

  AccessLog accessLog();

  /** Counts requests in flight across all event loops. */
  void requestStarted();

  void requestFinished();
}
