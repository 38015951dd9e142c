package bulwark.upstream.target;

/**
 * What the upstream layer reports as it runs (a port: owned here, implemented above by the
 * gateway's telemetry, which extends it). Methods run on any thread and must not block.
 */
public interface UpstreamEvents {
  UpstreamEvents NONE = new UpstreamEvents() {};

  /** A circuit breaker changed state (CLOSED, OPEN, HALF_OPEN, FORCED_OPEN, ...). */
  default void breakerTransition(String upstream, String breaker, String from, String to) {}
}
