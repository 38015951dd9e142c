package bulwark.upstream;

/**
 * The answer to "may this request (or its retry) go to the upstream now?": one call ({@link
 * UpstreamRuntime#admit}, {@link Attempt#retry}) instead of overload, breaker, balancer and retry
 * budget asked one by one. An admitted attempt owns what it took; a refusal holds nothing.
 */
public sealed interface Admission {
  /**
   * Go ahead: the attempt holds its permits until it ends ({@link Attempt#end}) and is released.
   */
  record Admitted(Attempt attempt) implements Admission {}

  /**
   * No: nothing is held. {@code retryAfterSeconds} is what a 503 tells the client to wait (the open
   * breaker's remaining time, else 1).
   */
  record Refused(Refusal reason, long retryAfterSeconds) implements Admission {}

  /** Why a request or a retry was refused. */
  enum Refusal {
    /** The upstream has overload.maxInFlight requests in flight. */
    IN_FLIGHT,
    /** The upstream is at its adaptive concurrency limit. */
    ADAPTIVE,
    /** The circuit breaker is open (or forced open): no permission for a call. */
    BREAKER_OPEN,
    /** No target is available (all down, ejected or drained, or all tried already). */
    NO_TARGET,
    /**
     * A retry the policy does not allow: none configured, attempts used up, an outcome or status it
     * does not retry, or a request that cannot be sent again.
     */
    NOT_RETRYABLE,
    /** A retry the policy allows, refused by the upstream's retry budget. */
    BUDGET_EXHAUSTED
  }

  static Refused refused(Refusal reason) {
    return new Refused(reason, 1);
  }
}
