package bulwark.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.ConfigLoader;
import bulwark.config.UpstreamConfig;
import bulwark.proxy.UpstreamIo.Timer;
import bulwark.routing.Fallback;
import bulwark.routing.Route;
import bulwark.testing.MutableClock;
import bulwark.upstream.Attempt;
import bulwark.upstream.HashOn;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.target.Outcome;
import bulwark.upstream.target.Target;
import bulwark.upstream.target.TargetStates;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The attempt state machine without a socket: a fake {@link UpstreamIo} records what the call asks
 * for, and the test plays the events (connection, head, failures, timers, the client leaving).
 */
class UpstreamCallTest {
  private final MutableClock clock = new MutableClock();

  /** What the call did, as the fake I/O saw it. */
  static final class FakeIo implements UpstreamIo {
    final Map<Timer, Long> armed = new EnumMap<>(Timer.class);
    final List<Attempt> sent = new ArrayList<>();
    final List<Outcome> ended = new ArrayList<>();
    final List<Integer> replies = new ArrayList<>();
    int resets;
    int retried;
    int budgetExhausted;
    long retryAfter;
    boolean bodyStarted;
    boolean bodyReplayable = true;
    boolean headWritten;

    @Override
    public void arm(Timer timer, long millis) {
      armed.put(timer, millis);
    }

    @Override
    public void disarm(Timer timer) {
      armed.remove(timer);
    }

    @Override
    public boolean tunnelFree(Attempt attempt) {
      return true;
    }

    @Override
    public int maxTunnelsPerTarget(UpstreamRuntime up) {
      return 1;
    }

    @Override
    public void tryStarted(Attempt attempt, int tryNo) {}

    @Override
    public void send(Attempt attempt, int tryNo, boolean webSocket) {
      sent.add(attempt);
    }

    @Override
    public void resetRequest() {
      resets++;
    }

    @Override
    public void releaseConnection() {}

    @Override
    public boolean bodyStarted() {
      return bodyStarted;
    }

    @Override
    public boolean bodyReplayable() {
      return bodyReplayable;
    }

    @Override
    public boolean clientHeadWritten() {
      return headWritten;
    }

    @Override
    public void tryEnded(Attempt attempt, Outcome outcome, int status) {
      ended.add(outcome);
    }

    @Override
    public void retried(int retries) {
      retried++;
    }

    @Override
    public void retryBudgetExhausted() {
      budgetExhausted++;
    }

    @Override
    public void retryAfter(long seconds) {
      retryAfter = seconds;
    }

    @Override
    public void reply(int status, String title, String detail) {
      replies.add(status);
    }

    @Override
    public void replyFallback(Fallback fallback) {
      replies.add(fallback.status());
    }
  }

  private static final HashOn.Source KEY =
      new HashOn.Source() {
        public String clientIp() {
          return "192.0.2.1";
        }

        public String path() {
          return "/";
        }

        public String header(String name) {
          return null;
        }

        public String cookie(String name) {
          return null;
        }
      };

  private final FakeIo io = new FakeIo();

  private UpstreamRuntime upstream(String extra) throws Exception {
    String yaml =
        """
        upstreams:
          u:
            targets: [ { url: "http://10.0.0.1:8080" }, { url: "http://10.0.0.2:8080" } ]
        %s
        routes:
          - { name: r, match: { path: /** }, upstream: u }
        """
            .formatted(extra.indent(4));
    UpstreamConfig uc = new ConfigLoader(k -> null).parse(yaml).upstreams().get("u");
    return new UpstreamRuntime("u", uc, new TargetStates(), clock);
  }

  private static Route route(UpstreamRuntime up, long timeoutMillis) {
    return new Route(
        "r",
        "routes[0]",
        "/**",
        Set.of(),
        null,
        List.of(),
        List.of(),
        null,
        up,
        0,
        List.of(),
        "",
        null,
        timeoutMillis,
        0,
        false,
        null);
  }

  private UpstreamCall call(UpstreamRuntime up) {
    return new UpstreamCall(io, route(up, 0), KEY, true, false);
  }

  private static final String RETRIES =
      "retry: { attempts: 2, on: [connect_failure, reset, timeout, 503], backoff: 1ms }";

  /** How an attempt fails before its head; each is retryable with {@link #RETRIES}. */
  enum Failure {
    CONNECT,
    RESET,
    RESPONSE_TIMEOUT,
    STATUS_503
  }

  /**
   * Plays {@code f} on the call's current attempt (number {@code n}); returns what the response
   * head said, if any.
   */
  private static void fail(UpstreamCall call, int n, Failure f) {
    switch (f) {
      case CONNECT -> call.failed(n, new ConnectException("Connection refused"));
      case RESET -> {
        assertThat(call.requestOpened(n)).isTrue();
        call.requestSent(n);
        call.failed(n, new IOException("Connection reset"));
      }
      case RESPONSE_TIMEOUT -> {
        assertThat(call.requestOpened(n)).isTrue();
        call.requestSent(n);
        call.timerFired(Timer.RESPONSE);
      }
      case STATUS_503 -> {
        assertThat(call.requestOpened(n)).isTrue();
        call.requestSent(n);
        assertThat(call.head(n, 503)).as("a retried status is dropped, not relayed").isFalse();
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Failure.class)
  void eachRetryableFailureIsRetriedOnAnotherTarget(Failure f) throws Exception {
    UpstreamRuntime up = upstream(RETRIES);
    UpstreamCall call = call(up);
    call.start(false);
    assertThat(call.state()).isEqualTo(CallState.CONNECTING);
    Target first = io.sent.get(0).target();

    fail(call, 1, f);
    assertThat(io.replies).as("no answer yet: a retry is on its way").isEmpty();
    assertThat(call.state()).isEqualTo(CallState.BACKOFF);
    assertThat(io.armed).containsKey(Timer.RETRY);
    assertThat(io.retried).isEqualTo(1);

    call.timerFired(Timer.RETRY);
    assertThat(io.sent).hasSize(2);
    assertThat(io.sent.get(1).target()).isNotSameAs(first);
    assertThat(call.tryNo()).isEqualTo(2);
    assertThat(call.requestOpened(2)).isTrue();
    call.requestSent(2);
    assertThat(call.head(2, 200)).isTrue();
    assertThat(call.responseEnded()).isTrue();
    assertThat(io.ended)
        .as("the first try failed, the retry succeeded")
        .hasSize(2)
        .endsWith(Outcome.SUCCESS);
    call.close();
    assertThat(up.overload().inFlight()).isZero();
  }

  @Test
  void eventsOfAnEarlierAttemptAreIgnored() throws Exception {
    UpstreamCall call = call(upstream(RETRIES));
    call.start(false);
    fail(call, 1, Failure.RESET);
    call.timerFired(Timer.RETRY);
    assertThat(call.requestOpened(1)).as("the first attempt's late request").isFalse();
    assertThat(call.head(1, 200)).as("the first attempt's late head").isFalse();
    call.failed(1, new IOException("late reset"));
    assertThat(call.state()).isEqualTo(CallState.CONNECTING);
    assertThat(io.replies).isEmpty();
  }

  @Test
  void nothingIsRetriedOnceTheResponseHeadCame() throws Exception {
    UpstreamRuntime up = upstream(RETRIES);
    UpstreamCall call = call(up);
    call.start(false);
    call.requestOpened(1);
    call.requestSent(1);
    assertThat(call.head(1, 200)).isTrue();
    assertThat(call.state()).isEqualTo(CallState.STREAMING);
    assertThat(io.armed).doesNotContainKey(Timer.RESPONSE);

    call.failed(1, new IOException("Connection reset"));
    assertThat(io.sent).as("no second attempt").hasSize(1);
    assertThat(io.ended).containsExactly(Outcome.BODY_RESET);
    assertThat(io.replies).containsExactly(502);
    assertThat(call.state()).isEqualTo(CallState.DONE);
  }

  @Test
  void aRetriedStatusIsRelayedWhenNoRetryIsLeft() throws Exception {
    UpstreamCall call = call(upstream(RETRIES));
    call.start(false);
    fail(call, 1, Failure.STATUS_503);
    call.timerFired(Timer.RETRY);
    call.requestOpened(2);
    call.requestSent(2);
    assertThat(call.head(2, 503)).as("attempts used up: the 503 goes to the client").isTrue();
    assertThat(call.state()).isEqualTo(CallState.STREAMING);
    assertThat(io.sent).hasSize(2);
  }

  private static final String GRPC_RETRIES =
      "protocol: h2c\nretry: { attempts: 2, on: [unavailable], backoff: 1ms }";

  @Test
  void aTrailersOnlyGrpcStatusInRetryOnIsRetried() throws Exception {
    UpstreamCall call = call(upstream(GRPC_RETRIES));
    call.start(false);
    call.requestOpened(1);
    call.requestSent(1);
    // HTTP 200 with grpc-status 14 (UNAVAILABLE) in the head: dropped, and sent again
    assertThat(call.head(1, 200, 14)).isFalse();
    assertThat(call.state()).isEqualTo(CallState.BACKOFF);
    assertThat(io.retried).isEqualTo(1);
    call.timerFired(Timer.RETRY);
    call.requestOpened(2);
    call.requestSent(2);
    assertThat(call.head(2, 200, -1)).isTrue();
    assertThat(io.sent).hasSize(2);
    assertThat(io.replies).isEmpty();
  }

  @Test
  void aGrpcStatusOfAFailedTargetEndsTheTryAsA5xx() throws Exception {
    // trailers-only UNAVAILABLE (14), not retried: relayed, and the try counts as a 5xx
    UpstreamCall call = call(upstream("protocol: h2c"));
    call.start(false);
    call.requestOpened(1);
    call.requestSent(1);
    assertThat(call.head(1, 200, 14)).isTrue();
    assertThat(call.responseEnded(14)).isTrue();
    assertThat(io.ended).containsExactly(Outcome.HTTP_5XX);

    // INTERNAL (13) in the trailers, after an OK head: the same
    io.ended.clear();
    UpstreamCall late = call(upstream("protocol: h2c"));
    late.start(false);
    late.requestOpened(1);
    late.requestSent(1);
    assertThat(late.head(1, 200, -1)).isTrue();
    assertThat(late.responseEnded(13)).isTrue();
    assertThat(io.ended).containsExactly(Outcome.HTTP_5XX);

    // NOT_FOUND (5) and DEADLINE_EXCEEDED (4) are not the target's failures
    for (int status : new int[] {5, 4}) {
      io.ended.clear();
      UpstreamCall ok = call(upstream("protocol: h2c"));
      ok.start(false);
      ok.requestOpened(1);
      ok.requestSent(1);
      assertThat(ok.head(1, 200, status)).isTrue();
      assertThat(ok.responseEnded(status)).isTrue();
      assertThat(io.ended).as("grpc-status %d", status).containsExactly(Outcome.SUCCESS);
    }
  }

  @Test
  void aGrpcStatusNotInRetryOnIsRelayed() throws Exception {
    UpstreamCall call = call(upstream(GRPC_RETRIES));
    call.start(false);
    call.requestOpened(1);
    call.requestSent(1);
    assertThat(call.head(1, 200, 10)).as("ABORTED is not in retry.on").isTrue();
    assertThat(call.state()).isEqualTo(CallState.STREAMING);
    assertThat(io.retried).isZero();
  }

  @Test
  void aGrpcStatusOfAMethodNotMarkedSafeIsRelayed() throws Exception {
    UpstreamRuntime up = upstream(GRPC_RETRIES);
    // a POST whose method the route does not list: not idempotent, its body is not kept
    UpstreamCall call = new UpstreamCall(io, route(up, 0), KEY, false, false);
    call.start(false);
    io.bodyStarted = true;
    call.requestOpened(1);
    call.requestSent(1);
    assertThat(call.head(1, 200, 14)).isTrue();
    assertThat(io.retried).isZero();
    assertThat(io.sent).hasSize(1);
  }

  @Test
  void aRequestWhoseBodyIsNotKeptIsNotRetried() throws Exception {
    UpstreamCall call = call(upstream(RETRIES));
    call.start(false);
    io.bodyStarted = true;
    io.bodyReplayable = false;
    fail(call, 1, Failure.RESET);
    assertThat(io.replies).containsExactly(502);
    assertThat(io.sent).hasSize(1);
  }

  @Test
  void anExhaustedBudgetEndsTheRequestWithTheFailure() throws Exception {
    UpstreamRuntime up =
        upstream("retry: { attempts: 3, on: [reset], budget: 0%, minRetriesPerSecond: 0 }");
    UpstreamCall call = call(up);
    call.start(false);
    fail(call, 1, Failure.RESET);
    assertThat(io.budgetExhausted).isEqualTo(1);
    assertThat(io.retried).isZero();
    assertThat(io.replies).containsExactly(502);
    assertThat(io.sent).hasSize(1);
    assertThat(call.close().retriesDenied()).isEqualTo(1);
    assertThat(up.overload().inFlight()).isZero();
  }

  @Test
  void aHalfOpenBreakerLetsOneProbeThroughAndAnAbandonedProbeGivesItsPlaceBack() throws Exception {
    UpstreamRuntime up =
        upstream("circuitBreaker: { window: 2, minimumCalls: 2, openFor: 5s, halfOpenCalls: 1 }");
    for (int i = 0; i < 2; i++) {
      UpstreamCall c = call(up);
      c.start(false);
      fail(c, 1, Failure.RESET);
      c.close();
    }
    assertThat(up.breakerFor("r").state()).isEqualTo("OPEN");
    UpstreamCall refused = call(up);
    refused.start(false);
    assertThat(io.replies).containsExactly(502, 502, 503);
    assertThat(io.retryAfter).isEqualTo(5);

    clock.advance(Duration.ofSeconds(6));
    UpstreamCall probe = call(up);
    probe.start(false);
    assertThat(probe.state()).isEqualTo(CallState.CONNECTING);
    UpstreamCall second = call(up);
    second.start(false);
    assertThat(second.state()).as("one probe at a time").isEqualTo(CallState.DONE);

    // the probe's client leaves before it has an outcome: the permission comes back
    probe.stop();
    probe.close();
    assertThat(io.ended).endsWith(Outcome.CANCELLED);
    assertThat(up.breakerFor("r").state()).isEqualTo("HALF_OPEN");
    UpstreamCall next = call(up);
    next.start(false);
    assertThat(next.state()).isEqualTo(CallState.CONNECTING);
    next.requestOpened(1);
    next.requestSent(1);
    next.head(1, 200);
    next.responseEnded();
    next.close();
    assertThat(up.breakerFor("r").state()).isEqualTo("CLOSED");
  }

  /** The states a client can leave in, and how to get there. */
  enum Leaving {
    CONNECTING,
    SENDING,
    AWAITING_HEAD,
    BACKOFF,
    STREAMING,
    TUNNEL
  }

  @ParameterizedTest
  @EnumSource(Leaving.class)
  void theClientLeavingInEachStateReleasesEverythingAndFeedsNoFailure(Leaving where)
      throws Exception {
    UpstreamRuntime up = upstream(RETRIES + "\ncircuitBreaker: { window: 10, minimumCalls: 10 }");
    UpstreamCall call = new UpstreamCall(io, route(up, 30_000), KEY, true, where == Leaving.TUNNEL);
    call.start(false);
    switch (where) {
      case CONNECTING -> {}
      case SENDING -> call.requestOpened(1);
      case AWAITING_HEAD -> {
        call.requestOpened(1);
        call.requestSent(1);
      }
      case BACKOFF -> fail(call, 1, Failure.RESET);
      case STREAMING -> {
        call.requestOpened(1);
        call.requestSent(1);
        call.head(1, 200);
      }
      case TUNNEL -> {
        call.requestOpened(1);
        assertThat(call.upgraded(1)).isTrue();
      }
    }
    assertThat(call.state().name()).isEqualTo(where.name());
    int buffered = up.breakerFor("r").bufferedCalls();
    List<Outcome> endedBefore = List.copyOf(io.ended);

    // the client leaves: the proxy stops the call, then closes it when the request ends
    call.stop();
    call.close();
    assertThat(call.state()).isEqualTo(CallState.DONE);
    assertThat(io.armed).as("no timer left").isEmpty();
    assertThat(up.overload().inFlight()).as("the in-flight place is given back").isZero();
    for (Target t : up.targets()) assertThat(t.state().inFlight()).isZero();
    List<Outcome> now = io.ended.subList(endedBefore.size(), io.ended.size());
    switch (where) {
      // the response was under way and the upstream did not fail it: the try ends as its head said
      case STREAMING -> assertThat(now).containsExactly(Outcome.SUCCESS);
      // the tunnel's try ended at its 101; between attempts, none is out
      case TUNNEL, BACKOFF -> assertThat(now).isEmpty();
      default -> {
        assertThat(now).containsExactly(Outcome.CANCELLED);
        assertThat(up.breakerFor("r").bufferedCalls())
            .as("a cancelled try is no call")
            .isEqualTo(buffered);
      }
    }

    // late events change nothing
    int sent = io.sent.size();
    call.timerFired(Timer.RETRY);
    call.timerFired(Timer.ROUTE);
    call.timerFired(Timer.RESPONSE);
    call.failed(call.tryNo(), new IOException("late"));
    assertThat(call.head(call.tryNo(), 200)).isFalse();
    assertThat(io.sent).hasSize(sent);
    assertThat(io.replies).as("nothing answered for a client that left").isEmpty();
  }

  @Test
  void theRouteTimeoutEndsAStreamingTryAsABodyTimeout() throws Exception {
    UpstreamRuntime up = upstream(RETRIES);
    UpstreamCall call = new UpstreamCall(io, route(up, 1000), KEY, true, false);
    call.start(false);
    assertThat(io.armed).containsEntry(Timer.ROUTE, 1000L);
    call.requestOpened(1);
    call.requestSent(1);
    call.head(1, 200);
    call.timerFired(Timer.ROUTE);
    assertThat(io.ended).containsExactly(Outcome.BODY_TIMEOUT);
    assertThat(io.replies).containsExactly(504);
    assertThat(io.sent).hasSize(1);
  }
}
