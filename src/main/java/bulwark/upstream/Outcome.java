package bulwark.upstream;

/** How one try of a request against one target ended, as health, breakers and retries see it. */
public enum Outcome {
  /** A response head arrived with a status below 500 (4xx is the client's fault, not the target's). */
  SUCCESS,
  /** A response head with a 5xx status. */
  HTTP_5XX,
  /** The connection could not be opened (refused, unreachable, connect timeout): nothing was sent. */
  CONNECT_FAILURE,
  /** The connection broke or was reset after the request started. */
  RESET,
  /** No response head within the (per-try) response timeout. */
  TIMEOUT;

  public boolean failure() {
    return this != SUCCESS;
  }
}
