package bulwark.observe.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RequestTimersTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final AtomicInteger built = new AtomicInteger();
  private final RequestTimers timers =
      new RequestTimers(
          "r",
          (route, method, status, upstream) -> {
            built.incrementAndGet();
            return Timer.builder("t")
                .tags(
                    "route",
                    route,
                    "method",
                    method,
                    "status",
                    Integer.toString(status),
                    "upstream",
                    upstream)
                .register(registry);
          });

  @Test
  void aCombinationIsBuiltOnceAndFoundAgainByEqualUpstreamNames() {
    int get = RequestTimers.methodIndex("GET");
    Timer a = timers.timer(get, 200, "u");
    assertThat(timers.timer(get, 200, new String("u"))).isSameAs(a);
    assertThat(built).hasValue(1);
    Timer b = timers.timer(get, 500, "u");
    Timer c = timers.timer(RequestTimers.methodIndex("POST"), 200, "u");
    Timer d = timers.timer(get, 200, "none");
    assertThat(java.util.List.of(a, b, c, d)).doesNotHaveDuplicates();
    assertThat(built).hasValue(4);
    assertThat(d.getId().getTag("route")).isEqualTo("r");
    assertThat(c.getId().getTag("method")).isEqualTo("POST");
    assertThat(b.getId().getTag("status")).isEqualTo("500");
  }

  @Test
  void methodsOutsideTheStandardNineAreOther() {
    for (String m : RequestTimers.METHODS) {
      if (!m.equals("OTHER"))
        assertThat(RequestTimers.METHODS[RequestTimers.methodIndex(m)]).isEqualTo(m);
    }
    for (String m : new String[] {"PURGE", "get", "PROPFIND", "X"}) {
      assertThat(RequestTimers.METHODS[RequestTimers.methodIndex(m)]).isEqualTo("OTHER");
    }
    Timer t = timers.timer(RequestTimers.methodIndex("BREW"), 200, "u");
    assertThat(timers.timer(RequestTimers.methodIndex("PURGE"), 200, "u")).isSameAs(t);
    assertThat(t.getId().getTag("method")).isEqualTo("OTHER");
  }
}
