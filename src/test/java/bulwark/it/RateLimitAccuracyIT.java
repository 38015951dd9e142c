package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The one test with real time: 10 s of steady hammering at a 10/s limit with a burst of 20. */
class RateLimitAccuracyIT {
  @Test
  void tenSecondsAtTenPerSecondWithABurstOfTwentyAccept120() throws Exception {
    try (Upstream up = new Upstream("a");
        RunningGateway gw =
            RunningGateway.start(
                TestSupport.head()
                    + """
             upstreams:
               a: { targets: [ { url: %s } ] }
             middlewares:
               limit: { rateLimit: { key: client_ip, rate: 10/s, burst: 20 } }
             routes:
               - { name: warm, match: { path: /warm/** }, upstream: a }
               - { name: r, match: { path: /** }, upstream: a, middlewares: [limit] }
             """
                        .formatted(up.url()))) {
      // warm up the connections and the JIT on a route without the limit, so that the window is not
      // shortened by a slow start
      for (int i = 0; i < 300; i++) TestSupport.get(gw.url("/warm/x"));
      AtomicInteger accepted = new AtomicInteger();
      AtomicInteger refused = new AtomicInteger();
      AtomicInteger other = new AtomicInteger();
      // the bucket is created (full) by the first request; the 10 s count from its answer
      assertThat(TestSupport.get(gw.url("/x")).statusCode()).isEqualTo(200);
      accepted.incrementAndGet();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        threads.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      while (System.nanoTime() < end) {
                        try {
                          int s = TestSupport.get(gw.url("/x")).statusCode();
                          if (s == 200) accepted.incrementAndGet();
                          else if (s == 429) refused.incrementAndGet();
                          else other.incrementAndGet();
                        } catch (Exception e) {
                          other.incrementAndGet();
                        }
                      }
                    }));
      }
      for (Thread t : threads) t.join();
      System.out.printf(
          "rate-limit accuracy: %d accepted, %d refused (429), %d other in 10 s at 10/s, burst 20 (expected 120)%n",
          accepted.get(), refused.get(), other.get());
      assertThat(other.get()).isZero();
      assertThat(refused.get()).as("the limit was hammered well past its rate").isGreaterThan(1000);
      assertThat(accepted.get()).isBetween(118, 122);
    }
  }
}
