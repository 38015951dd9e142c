package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** Moving the weights of a route's backends by reloads, while clients keep sending requests. */
class BackendsReloadIT {
  private static final int CLIENTS = 3;

  private static String config(Upstream v1, Upstream v2, int w1, int w2) {
    return TestSupport.head()
        + """
        upstreams:
          v1: { targets: [ { url: %s } ] }
          v2: { targets: [ { url: %s } ] }
        routes:
          - name: shift
            match: { path: /shift/** }
            backends: [ { upstream: v1, weight: %d }, { upstream: v2, weight: %d } ]
        """
            .formatted(v1.url(), v2.url(), w1, w2);
  }

  @Test
  void shiftingWeightsByReloadUnderLoadFailsNoRequest() throws Exception {
    try (Upstream v1 = new Upstream("v1", req -> req.response().end("v1"));
        Upstream v2 = new Upstream("v2", req -> req.response().end("v2"));
        RunningGateway gw = RunningGateway.start(config(v1, v2, 100, 0))) {
      // state 0: 100/0, 2: 50/50, 4: 0/100; odd while a reload is in progress. A request counts in
      // phase state/2 only if the state was the same even value before it was sent and after its
      // answer came: then no reload overlapped it. Others count as overlapping one (index 3).
      AtomicInteger state = new AtomicInteger();
      AtomicIntegerArray toV1 = new AtomicIntegerArray(4);
      AtomicIntegerArray toV2 = new AtomicIntegerArray(4);
      AtomicBoolean stop = new AtomicBoolean();
      List<String> failures = Collections.synchronizedList(new ArrayList<>());
      List<String> errors = Collections.synchronizedList(new ArrayList<>());
      List<Thread> clients = new ArrayList<>();
      try {
        for (int c = 0; c < CLIENTS; c++) {
          int client = c;
          clients.add(
              Thread.ofPlatform()
                  .name("load-" + c)
                  .start(
                      () -> {
                        for (int i = 0; !stop.get(); i++) {
                          int before = state.get();
                          try {
                            HttpResponse<String> r =
                                TestSupport.get(gw.url("/shift/" + client + "/" + i));
                            int p = before == state.get() && before % 2 == 0 ? before / 2 : 3;
                            if (r.statusCode() != 200)
                              failures.add("phase " + p + ": " + r.statusCode() + " " + r.body());
                            else if (r.body().equals("v1")) toV1.incrementAndGet(p);
                            else if (r.body().equals("v2")) toV2.incrementAndGet(p);
                            else failures.add("phase " + p + ": unexpected body " + r.body());
                          } catch (Exception e) {
                            errors.add("state " + before + ": " + e);
                          }
                        }
                      }));
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> toV1.get(0) >= 50);

        state.set(1);
        assertThat(gw.rewrite(config(v1, v2, 50, 50))).isTrue();
        state.set(2);
        await().atMost(Duration.ofSeconds(60)).until(() -> toV1.get(1) >= 10 && toV2.get(1) >= 10);

        state.set(3);
        assertThat(gw.rewrite(config(v1, v2, 0, 100))).isTrue();
        state.set(4);
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () -> {
                  for (int i = 0; i < 50; i++)
                    if (!TestSupport.get(gw.url("/shift/check/" + i)).body().equals("v2"))
                      return false;
                  return true;
                });
        await().atMost(Duration.ofSeconds(60)).until(() -> toV2.get(2) >= 50);
      } finally {
        stop.set(true);
        for (Thread t : clients) t.join(30_000);
      }
      assertThat(clients).noneMatch(Thread::isAlive);
      assertThat(failures).as("non-200 answers").isEmpty();
      assertThat(errors).as("client exceptions").isEmpty();
      assertThat(toV1.get(0) + toV2.get(0)).as("requests at 100/0").isPositive();
      assertThat(toV1.get(1) + toV2.get(1)).as("requests at 50/50").isPositive();
      assertThat(toV1.get(2) + toV2.get(2)).as("requests at 0/100").isPositive();
      // a request that no reload overlapped goes only where its phase's weights allow
      assertThat(toV2.get(0)).as("v2 answers at 100/0").isZero();
      assertThat(toV1.get(2)).as("v1 answers at 0/100").isZero();
      assertThat(gw.gateway.reloadsFailed()).isZero();
    }
  }
}
