package bulwark.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.ConfigLoader;
import bulwark.config.UpstreamConfig;
import bulwark.testing.MutableClock;
import bulwark.upstream.Admission.Admitted;
import bulwark.upstream.Admission.Refusal;
import bulwark.upstream.Admission.Refused;
import bulwark.upstream.target.Outcome;
import bulwark.upstream.target.Target;
import bulwark.upstream.target.TargetStates;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * One admission step per attempt, without sockets: what admit and retry take, and what end and
 * release give back.
 */
class AdmissionTest {
  private final MutableClock clock = new MutableClock();

  private UpstreamRuntime upstream(String extra) throws Exception {
    String yaml =
        """
        upstreams:
          u:
            targets: [ { url: "http://10.0.0.1:8080" }, { url: "http://10.0.0.2:8080" }, { url: "http://10.0.0.3:8080" } ]
        %s
        routes:
          - { name: r, match: { path: /** }, upstream: u }
        """
            .formatted(extra.indent(4));
    UpstreamConfig uc = new ConfigLoader(k -> null).parse(yaml).upstreams().get("u");
    return new UpstreamRuntime("u", uc, new TargetStates(), clock);
  }

  private static final HashOn.Source REQUEST = request(Map.of());

  static HashOn.Source request(Map<String, String> headers) {
    return new HashOn.Source() {
      public String clientIp() {
        return "192.0.2.7";
      }

      public String path() {
        return "/a";
      }

      public String header(String name) {
        return headers.get(name);
      }

      public String cookie(String name) {
        return null;
      }
    };
  }

  private static Attempt admitted(Admission a) {
    assertThat(a).isInstanceOf(Admitted.class);
    return ((Admitted) a).attempt();
  }

  private static Refusal refusal(Admission a) {
    assertThat(a).isInstanceOf(Refused.class);
    return ((Refused) a).reason();
  }

  @Test
  void anAttemptHoldsItsInFlightPlaceUntilReleasedAndEndsOnce() throws Exception {
    UpstreamRuntime up = upstream("overload: { maxInFlight: 1 }");
    Attempt a = admitted(up.admit("r", REQUEST, false));
    assertThat(up.overload().inFlight()).isEqualTo(1);
    assertThat(refusal(up.admit("r", REQUEST, false))).isEqualTo(Refusal.IN_FLIGHT);
    assertThat(up.overload().inFlight()).as("a refusal holds nothing").isEqualTo(1);

    a.start();
    assertThat(a.target().state().inFlight()).isEqualTo(1);
    assertThat(a.end(Outcome.SUCCESS)).isTrue();
    assertThat(a.end(Outcome.RESET)).as("an attempt ends once").isFalse();
    assertThat(a.outcome()).isEqualTo(Outcome.SUCCESS);
    assertThat(up.overload().inFlight())
        .as("ending is not releasing: a response may still stream")
        .isEqualTo(1);

    a.release();
    a.release();
    assertThat(up.overload().inFlight()).isZero();
    assertThat(a.target().state().inFlight()).isZero();
    admitted(up.admit("r", REQUEST, false));
  }

  @Test
  void aCancelledAttemptGivesItsBreakerPermissionBackAndFeedsNothing() throws Exception {
    UpstreamRuntime up =
        upstream("circuitBreaker: { window: 4, minimumCalls: 4, openFor: 10s, halfOpenCalls: 1 }");
    for (int i = 0; i < 10; i++) {
      Attempt a = admitted(up.admit("r", REQUEST, false));
      a.start();
      a.end(Outcome.CANCELLED);
      a.release();
    }
    var b = up.breakerFor("r");
    assertThat(b.bufferedCalls()).as("cancelled tries are not calls").isZero();
    assertThat(b.state()).isEqualTo("CLOSED");

    // released without an outcome (the request ended before the try was sent) is cancelled too
    for (int i = 0; i < 10; i++) admitted(up.admit("r", REQUEST, false)).release();
    assertThat(b.bufferedCalls()).isZero();
    assertThat(up.overload().inFlight()).isZero();

    for (int i = 0; i < 4; i++) {
      Attempt a = admitted(up.admit("r", REQUEST, false));
      a.start();
      a.end(Outcome.HTTP_5XX);
      a.release();
    }
    assertThat(b.state()).isEqualTo("OPEN");
    Admission refused = up.admit("r", REQUEST, false);
    assertThat(refusal(refused)).isEqualTo(Refusal.BREAKER_OPEN);
    assertThat(((Refused) refused).retryAfterSeconds()).isEqualTo(10);
    assertThat(up.overload().inFlight())
        .as("a breaker refusal gives back the in-flight place")
        .isZero();
  }

  @Test
  void halfOpenLetsOneProbeThroughAndACancelledProbeFreesItsPlace() throws Exception {
    UpstreamRuntime up =
        upstream("circuitBreaker: { window: 2, minimumCalls: 2, openFor: 5s, halfOpenCalls: 1 }");
    for (int i = 0; i < 2; i++) {
      Attempt a = admitted(up.admit("r", REQUEST, false));
      a.start();
      a.end(Outcome.CONNECT_FAILURE);
      a.release();
    }
    assertThat(refusal(up.admit("r", REQUEST, false))).isEqualTo(Refusal.BREAKER_OPEN);
    clock.advance(Duration.ofSeconds(6));

    Attempt probe = admitted(up.admit("r", REQUEST, false));
    assertThat(up.breakerFor("r").state()).isEqualTo("HALF_OPEN");
    assertThat(refusal(up.admit("r", REQUEST, false)))
        .as("one probe at a time")
        .isEqualTo(Refusal.BREAKER_OPEN);
    probe.release(); // the client left before the probe had an outcome
    Attempt probe2 = admitted(up.admit("r", REQUEST, false));
    probe2.start();
    probe2.end(Outcome.SUCCESS);
    probe2.release();
    assertThat(up.breakerFor("r").state()).isEqualTo("CLOSED");
  }

  @Test
  void aForcedOpenBreakerRefusesAndHoldsNothing() throws Exception {
    UpstreamRuntime up = upstream("");
    assertThat(refusal(up.admit("r", REQUEST, true))).isEqualTo(Refusal.BREAKER_OPEN);
    assertThat(up.overload().inFlight()).isZero();
  }

  @Test
  void aRetryGoesToAnotherTargetAndTakesOverTheInFlightPlace() throws Exception {
    UpstreamRuntime up =
        upstream("retry: { attempts: 3, on: [reset, 503] }\noverload: { maxInFlight: 1 }");
    Attempt first = admitted(up.admit("r", REQUEST, false));
    first.start();
    first.end(Outcome.RESET);
    Attempt second = admitted(first.retry(Outcome.RESET, 0, true, REQUEST));
    assertThat(second.number()).isEqualTo(2);
    assertThat(second.target()).isNotSameAs(first.target());
    first.release();
    assertThat(up.overload().inFlight()).as("the retry holds the request's place").isEqualTo(1);

    second.start();
    second.end(Outcome.HTTP_5XX);
    Attempt third = admitted(second.retry(Outcome.HTTP_5XX, 503, true, REQUEST));
    second.release();
    assertThat(Set.of(first.target(), second.target(), third.target())).hasSize(3);
    third.start();
    third.end(Outcome.RESET);
    assertThat(refusal(third.retry(Outcome.RESET, 0, true, REQUEST)))
        .as("3 attempts in all")
        .isEqualTo(Refusal.NOT_RETRYABLE);
    third.release();
    assertThat(up.overload().inFlight()).isZero();
  }

  @Test
  void aRetryIsRefusedForWhatThePolicyDoesNotRetry() throws Exception {
    UpstreamRuntime up = upstream("retry: { attempts: 3, on: [connect_failure, 502] }");
    Attempt a = admitted(up.admit("r", REQUEST, false));
    a.start();
    a.end(Outcome.TIMEOUT);
    assertThat(refusal(a.retry(Outcome.TIMEOUT, 0, true, REQUEST)))
        .isEqualTo(Refusal.NOT_RETRYABLE);
    assertThat(refusal(a.retry(Outcome.HTTP_5XX, 503, true, REQUEST)))
        .isEqualTo(Refusal.NOT_RETRYABLE);
    assertThat(refusal(a.retry(Outcome.BODY_RESET, 200, true, REQUEST)))
        .as("part of a response may be out")
        .isEqualTo(Refusal.NOT_RETRYABLE);
    assertThat(refusal(a.retry(Outcome.CONNECT_FAILURE, 0, false, REQUEST)))
        .as("a request that cannot be sent again")
        .isEqualTo(Refusal.NOT_RETRYABLE);
    admitted(a.retry(Outcome.HTTP_5XX, 502, true, REQUEST)).release();
    a.release();

    UpstreamRuntime none = upstream("");
    Attempt b = admitted(none.admit("r", REQUEST, false));
    b.start();
    b.end(Outcome.CONNECT_FAILURE);
    assertThat(refusal(b.retry(Outcome.CONNECT_FAILURE, 0, true, REQUEST)))
        .as("no retry policy")
        .isEqualTo(Refusal.NOT_RETRYABLE);
  }

  @Test
  void anExhaustedBudgetRefusesTheRetryAndSpendsNoBreakerPermission() throws Exception {
    UpstreamRuntime up =
        upstream(
            """
        retry: { attempts: 2, on: [reset], budget: 0%, minRetriesPerSecond: 0 }
        circuitBreaker: { window: 10, minimumCalls: 10, halfOpenCalls: 1 }""");
    Attempt a = admitted(up.admit("r", REQUEST, false));
    a.start();
    a.end(Outcome.RESET);
    assertThat(refusal(a.retry(Outcome.RESET, 0, true, REQUEST)))
        .isEqualTo(Refusal.BUDGET_EXHAUSTED);
    a.release();
    // the breaker lends permissions only while CLOSED; what counts is that nothing is left held:
    // a call is buffered only for the one try that ended
    assertThat(up.breakerFor("r").bufferedCalls()).isEqualTo(1);
    assertThat(up.overload().inFlight()).isZero();
  }

  @Test
  void aRetryWithEveryTargetTriedIsRefused() throws Exception {
    UpstreamRuntime up = upstream("retry: { attempts: 5, on: [reset] }");
    Attempt a = admitted(up.admit("r", REQUEST, false));
    for (int i = 0; i < 2; i++) {
      a.start();
      a.end(Outcome.RESET);
      Attempt next = admitted(a.retry(Outcome.RESET, 0, true, REQUEST));
      a.release();
      a = next;
    }
    a.start();
    a.end(Outcome.RESET);
    assertThat(refusal(a.retry(Outcome.RESET, 0, true, REQUEST))).isEqualTo(Refusal.NO_TARGET);
  }

  @Test
  void consistentHashKeysOnWhatHashOnNames() throws Exception {
    UpstreamRuntime up = upstream("balancer: consistent_hash\nhashOn: header:X-User");
    Set<Target> byUser = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      HashOn.Source req = request(Map.of("X-User", "user-" + i));
      Attempt a = admitted(up.admit("r", req, false));
      Attempt again = admitted(up.admit("r", req, false));
      assertThat(again.target()).as("the same key, the same target").isSameAs(a.target());
      byUser.add(a.target());
      a.release();
      again.release();
    }
    assertThat(byUser).as("the key is the header, not the (fixed) client IP").hasSizeGreaterThan(1);
    assertThat(up.hashOn()).isEqualTo(new HashOn(HashOn.Kind.HEADER, "X-User"));
    assertThat(HashOn.parse(null)).isEqualTo(HashOn.CLIENT_IP);
    assertThat(HashOn.parse("cookie:sid")).isEqualTo(new HashOn(HashOn.Kind.COOKIE, "sid"));
    assertThat(HashOn.parse("path").keyOf(REQUEST)).isEqualTo("/a");
  }
}
