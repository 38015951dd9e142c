package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import org.junit.jupiter.api.Test;

class SmokeIT {
  @Test
  void proxiesARequest() throws Exception {
    try (Upstream up = new Upstream("a");
        RunningGateway gw =
            RunningGateway.start(
                TestSupport.head()
                    + """
             upstreams:
               a: { targets: [ { url: %s } ] }
             routes:
               - name: r
                 match: { path: /x/** }
                 upstream: a
             """
                        .formatted(up.url()))) {
      var r = TestSupport.get(gw.url("/x/1?q=2"));
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("\"uri\":\"/x/1?q=2\"");
      assertThat(r.headers().firstValue("X-Request-Id")).isPresent();
    }
  }
}
