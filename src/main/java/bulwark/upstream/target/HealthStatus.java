package bulwark.upstream.target;

/** What active checks last concluded about a target. */
public enum HealthStatus {
  /** No verdict yet (no active checks, or not enough of them): the target gets traffic. */
  UNKNOWN,
  /** healthyThreshold consecutive checks passed. */
  UP,
  /** unhealthyThreshold consecutive checks failed: the target gets no traffic. */
  DOWN
}
