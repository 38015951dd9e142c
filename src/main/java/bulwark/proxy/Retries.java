package bulwark.proxy;

import bulwark.upstream.Admission;
import bulwark.upstream.Attempt;
import bulwark.upstream.HashOn;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.resilience.RetryPolicy;
import bulwark.upstream.target.Outcome;

/**
 * The retry decision of one {@link UpstreamCall}: whether a try that failed (or answered with a
 * status its policy retries) goes out again — the request must be resendable, and the attempt's
 * policy, breaker and budget must admit the retry — and the backoff before it does. It counts the
 * retries made and those the budget denied. The call makes one at its first failed try only, so a
 * request that never fails allocates none.
 */
final class Retries {
  private final UpstreamIo io;
  private final HashOn.Source key;
  private int made;
  private int denied;

  Retries(UpstreamIo io, HashOn.Source key) {
    this.io = io;
    this.key = key;
  }

  /**
   * Whether the policy of the attempt's upstream retries a response with {@code status}, or with
   * the gRPC status {@code grpcStatus} in its head (a trailers-only response; -1 when none).
   */
  static boolean retriesStatus(Attempt a, int status, int grpcStatus) {
    RetryPolicy rp = a.upstream().retry();
    return rp != null && rp.retriesStatus(status, grpcStatus);
  }

  /**
   * The admitted retry of {@code failed}, which ended with {@code o}, or null. The request must be
   * sendable again: nothing went to the client (the caller checked), and its body is all kept
   * ({@code replay}, not a tunnel), or none was read. {@code grpcStatus} is the gRPC status of a
   * trailers-only response, -1 when there is none.
   */
  Attempt reserve(
      Attempt failed, Outcome o, int status, int grpcStatus, boolean webSocket, boolean replay) {
    // a connect failure before the request was read sent nothing: always safe to send elsewhere
    boolean nothingSent = o == Outcome.CONNECT_FAILURE && !io.bodyStarted();
    boolean resendable = nothingSent || !webSocket && replay && io.bodyReplayable();
    switch (failed.retry(o, status, grpcStatus, resendable, key)) {
      case Admission.Admitted a -> {
        return a.attempt();
      }
      case Admission.Refused r -> {
        if (r.reason() == Admission.Refusal.BUDGET_EXHAUSTED) {
          denied++;
          io.retryBudgetExhausted();
        }
        return null;
      }
    }
  }

  /**
   * Counts the retry that was reserved; returns its backoff (at least 1ms) per {@code up}'s policy.
   */
  long count(UpstreamRuntime up) {
    made++;
    io.retried(made);
    return Math.max(1, up.retry().backoffMillis(made));
  }

  int made() {
    return made;
  }

  int denied() {
    return denied;
  }
}
