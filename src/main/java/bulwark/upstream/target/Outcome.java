package bulwark.upstream.target;

/** How one try of a request against one target ended, as health, breakers and retries see it. */
public enum Outcome {
  /**
   * A response with a status below 500 (4xx is the client's fault, not the target's), read to its
   * end.
   */
  SUCCESS("success"),
  /** A response with a 5xx status. */
  HTTP_5XX("5xx"),
  /**
   * The connection could not be opened (refused, unreachable, connect timeout): nothing was sent.
   */
  CONNECT_FAILURE("connect"),
  /** The connection broke or was reset after the request started, before the response head. */
  RESET("reset"),
  /** No response head within the (per-try) response timeout. */
  TIMEOUT("timeout"),
  /** The response head came, then the connection broke or was reset before the end of the body. */
  BODY_RESET("body_reset"),
  /** The response head came, then the route timeout passed before the end of the body. */
  BODY_TIMEOUT("body_timeout"),
  /**
   * The try ended for a reason of the gateway's or the client's (the client left, the request was
   * answered otherwise, the try was never sent): not the target's doing, so health, the breaker and
   * the adaptive limit hear nothing of it.
   */
  CANCELLED("cancelled");

  /** The name metrics and the access log use. */
  public final String label;

  Outcome(String label) {
    this.label = label;
  }

  /** The target failed this try. CANCELLED is neither a failure nor a success. */
  public boolean failure() {
    return this != SUCCESS && this != CANCELLED;
  }

  /** The try failed after its response head had arrived (and may have gone on to the client). */
  public boolean afterHead() {
    return this == BODY_RESET || this == BODY_TIMEOUT;
  }
}
