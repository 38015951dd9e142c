package bulwark.upstream;

import bulwark.upstream.Admission.Refusal;
import bulwark.upstream.resilience.Breaker;
import bulwark.upstream.resilience.RetryPolicy;
import bulwark.upstream.target.Outcome;
import bulwark.upstream.target.Target;
import java.util.HashSet;
import java.util.Set;

/**
 * One admitted try of a request against one target. It owns what admission took for it: a
 * permission of the breaker (if the upstream has one), the request's place in the upstream's
 * in-flight count (handed on to the retry, if one is admitted) and, while it waits for a
 * connection, a pending permit. It ends exactly once ({@link #end}) with an {@link Outcome}, which
 * feeds passive health, the breaker and the adaptive limit ({@link Outcome#CANCELLED} feeds nothing
 * and gives the breaker permission back), and lets go of the rest when released ({@link #release}).
 * Runs on the request's event loop; the shared state it touches is thread-safe.
 */
public final class Attempt {
  private final UpstreamRuntime upstream;
  private final String route;
  private final Target target;
  private final int number;

  /**
   * Requests in flight when this request was admitted (itself included), for the adaptive limit.
   */
  private final int inFlightAtStart;

  /**
   * This attempt holds the request's place in the upstream's in-flight count (until released, or
   * handed to a retry).
   */
  private boolean holdsInFlight;

  /** The targets this request tried before this attempt; null for the first. */
  private final Set<Target> tried;

  /** The breaker permission, until the attempt ends; null when the upstream has no breaker. */
  private Breaker breaker;

  private boolean pending;
  private boolean started;
  private boolean released;
  private long startNanos;

  /** How the response head said the try went, null before a head was passed on. */
  private Outcome head;

  private long headNanos;
  private Outcome outcome;
  private long nanos;

  /**
   * An attempt that holds an in-flight place of {@code upstream}'s overload guard, taken by its
   * admission.
   */
  Attempt(
      UpstreamRuntime upstream,
      String route,
      Target target,
      Breaker breaker,
      int inFlightAtStart,
      int number,
      Set<Target> tried) {
    this.upstream = upstream;
    this.route = route;
    this.target = target;
    this.breaker = breaker;
    this.inFlightAtStart = inFlightAtStart;
    this.number = number;
    this.tried = tried;
    this.holdsInFlight = true;
  }

  public UpstreamRuntime upstream() {
    return upstream;
  }

  public Target target() {
    return target;
  }

  /** 1 for a request's first attempt, 2 for its first retry, ... */
  public int number() {
    return number;
  }

  /**
   * The attempt starts waiting for a connection: false (and nothing counted) when the upstream has
   * overload.maxPending requests waiting already. Then {@link #pendingDone} once the wait is over.
   */
  public boolean tryPending() {
    if (pending || !upstream.overload().tryPending()) return false;
    pending = true;
    return true;
  }

  /** The wait for a connection is over (a connection came, or none will). Idempotent. */
  public void pendingDone() {
    if (!pending) return;
    pending = false;
    upstream.overload().pendingDone();
  }

  /**
   * The attempt is sent: its clock starts and its target counts it (least_request) until released.
   */
  public void start() {
    if (started) return;
    started = true;
    startNanos = System.nanoTime();
    target.state().begin();
  }

  public boolean started() {
    return started;
  }

  /**
   * The response head came and is passed on: the adaptive limit gets its sample now (the time to
   * the head); the rest of the outcome waits for the end of the body ({@link #end}).
   */
  public void headArrived(Outcome head) {
    if (outcome != null || this.head != null) return;
    this.head = head;
    headNanos = System.nanoTime() - startNanos;
    upstream.overload().sample(headNanos, inFlightAtStart, head.failure());
  }

  /** How the response head said the try went; null before a head was passed on. */
  public Outcome headOutcome() {
    return head;
  }

  /**
   * Ends the attempt with {@code o}, once: a later call does nothing and returns false. Health, the
   * breaker and the adaptive limit hear the outcome; a try whose head came is timed to its head
   * unless its body failed ({@link Outcome#afterHead}). CANCELLED feeds none of them and gives the
   * breaker permission back.
   */
  public boolean end(Outcome o) {
    if (outcome != null) return false;
    outcome = o;
    boolean sampled = head != null;
    nanos = !started ? 0 : sampled && !o.afterHead() ? headNanos : System.nanoTime() - startNanos;
    Breaker b = breaker;
    breaker = null;
    if (o == Outcome.CANCELLED) {
      if (b != null) b.release();
      return true;
    }
    upstream.recordOutcome(target, o);
    if (b != null) b.onResult(o, nanos);
    if (!sampled) upstream.overload().sample(nanos, inFlightAtStart, o.failure());
    return true;
  }

  public boolean ended() {
    return outcome != null;
  }

  /** How the attempt ended; null while it has not. */
  public Outcome outcome() {
    return outcome;
  }

  /**
   * The attempt's duration as its outcome was recorded (to the head, or to the end); 0 before it
   * ended.
   */
  public long nanos() {
    return nanos;
  }

  /**
   * Admits a retry of this (ended) attempt after {@code o} (with {@code status} for a response):
   * the policy must retry it, {@code resendable} must say the request can be sent again, and then
   * another target, a breaker permission and a share of the retry budget are taken, in that order,
   * so that a refusal spends nothing. The admitted retry takes over the request's in-flight place.
   */
  public Admission retry(Outcome o, int status, boolean resendable, HashOn.Source request) {
    return retry(o, status, -1, resendable, request);
  }

  /**
   * {@link #retry(Outcome, int, boolean, HashOn.Source)} of a response whose head may carry a gRPC
   * status ({@code grpcStatus}, a trailers-only response; -1 when none).
   */
  public Admission retry(
      Outcome o, int status, int grpcStatus, boolean resendable, HashOn.Source request) {
    RetryPolicy rp = upstream.retry();
    if (rp == null || number >= rp.attempts() || !rp.retries(o, status, grpcStatus) || !resendable)
      return Admission.refused(Refusal.NOT_RETRYABLE);
    Set<Target> exclude = tried == null ? new HashSet<>(4) : tried;
    exclude.add(target);
    Target next = upstream.pickFor(request, exclude);
    if (next == null) return Admission.refused(Refusal.NO_TARGET);
    Breaker b = upstream.breakerFor(route);
    if (b != null && !b.tryAcquire())
      return new Admission.Refused(Refusal.BREAKER_OPEN, b.retryAfterSeconds());
    if (!rp.budget().tryRetry()) {
      if (b != null) b.release();
      return Admission.refused(Refusal.BUDGET_EXHAUSTED);
    }
    // the request's in-flight place goes to the retry
    Attempt retry = new Attempt(upstream, route, next, b, inFlightAtStart, number + 1, exclude);
    retry.holdsInFlight = holdsInFlight;
    holdsInFlight = false;
    return new Admission.Admitted(retry);
  }

  /**
   * Gives up the request's place in the upstream's in-flight count now, before the request ends: a
   * long-lived tunnel is not a request in flight, and must not starve the requests.
   */
  public void leaveInFlight() {
    if (!holdsInFlight) return;
    holdsInFlight = false;
    upstream.overload().release();
  }

  /**
   * Lets go of everything the attempt still holds, once: ends it as CANCELLED if it is still open,
   * uncounts it at its target, and gives up the in-flight place unless a retry took it over. The
   * pending permit, if still held, is left to {@link #pendingDone} (the connection attempt under
   * way calls it when it completes).
   */
  public void release() {
    if (released) return;
    released = true;
    end(Outcome.CANCELLED);
    if (started) target.state().end();
    leaveInFlight();
  }
}
