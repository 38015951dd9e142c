package bulwark.observe;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.filter.Exchange;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FanoutTest {
  @Test
  void eachHookReachesThePartsThatImplementItInOrderAndAThrowingPartStopsNoOne() {
    List<String> heard = new ArrayList<>();
    Telemetry a =
        new Telemetry() {
          @Override
          public void requestFinished(Exchange ex, RequestRecord r) {
            heard.add("a");
            throw new IllegalStateException("boom");
          }
        };
    Telemetry b =
        new Telemetry() {
          @Override
          public void requestFinished(Exchange ex, RequestRecord r) {
            heard.add("b");
          }

          @Override
          public void adminCall(String method, String path, int status, String peer) {
            heard.add("b:" + path);
          }
        };
    Telemetry quiet = new Telemetry() {};
    Telemetry t = Telemetry.of(List.of(a, quiet, b));
    t.requestFinished(null, null);
    t.adminCall("POST", "/alerts", 200, "127.0.0.1");
    assertThat(heard).containsExactly("a", "b", "b:/alerts");
    Telemetry[] parts = {a, quiet, b};
    assertThat(Fanout.implementing(parts, "requestFinished", Exchange.class, RequestRecord.class))
        .containsExactly(a, b);
    assertThat(Fanout.implementing(parts, "requestStarted", Exchange.class)).isEmpty();
  }
}
