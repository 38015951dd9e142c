package bulwark.proxy;

import bulwark.routing.Fallback;
import bulwark.upstream.Attempt;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.target.Outcome;

/**
 * What an {@link UpstreamCall} needs done, and whom it tells: the seam between the attempt state
 * machine and the I/O. {@link HttpCall} implements it over Vert.x; tests implement it with a fake
 * and play the events themselves.
 */
interface UpstreamIo {
  /** The call's timers, each armed at most once at a time. */
  enum Timer {
    /** The route timeout, over all attempts and the response body. */
    ROUTE,
    /** The attempt's time to its response head (retry.perTryTimeout, else timeouts.response). */
    RESPONSE,
    /** The backoff before a retry. */
    RETRY
  }

  void arm(Timer timer, long millis);

  /**
   * The route timeout this request gets, in milliseconds (0: none): the route's, or less when the
   * client set a deadline of its own (gRPC's grpc-timeout).
   */
  default long routeTimeoutMillis(long routeMillis) {
    return routeMillis;
  }

  void disarm(Timer timer);

  /**
   * Whether the route timer is armed and due, though it has not fired yet: a target that was given
   * the rest of the route timeout as its own deadline (grpc-timeout) gave up at the same moment.
   */
  default boolean routeTimeUp() {
    return false;
  }

  /** Whether target {@code t} of {@code up} has room for one more tunnel on this event loop. */
  boolean tunnelFree(Attempt attempt);

  int maxTunnelsPerTarget(UpstreamRuntime up);

  /**
   * The attempt (number {@code tryNo}) is about to go out: observers hear of it, trace context goes
   * on the upstream headers.
   */
  void tryStarted(Attempt attempt, int tryNo);

  /** Gets a connection and sends attempt {@code tryNo}; the events come back to the call. */
  void send(Attempt attempt, int tryNo, boolean webSocket);

  /**
   * Resets the upstream request of the current attempt, if there is one (its connection goes with
   * it).
   */
  void resetRequest();

  /** Lets go of the previous attempt's connection before the next one goes out. */
  void releaseConnection();

  /** Whether some of the client's request body was read (by an earlier attempt). */
  boolean bodyStarted();

  /**
   * Whether the request can be sent again as a whole: no body read yet, or all of it read and kept.
   */
  boolean bodyReplayable();

  /** Whether response bytes (or its head) went to the client already. */
  boolean clientHeadWritten();

  void tryEnded(Attempt attempt, Outcome outcome, int status);

  void retried(int retries);

  void retryBudgetExhausted();

  /** Puts Retry-After on the answer about to be sent. */
  void retryAfter(long seconds);

  /** Ends the request with an answer of the gateway's own (or, past the head, a cut response). */
  void reply(int status, String title, String detail);

  /** Ends the request with the route's static fallback answer. */
  void replyFallback(Fallback fallback);
}
