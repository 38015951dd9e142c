package bulwark.it;

import static bulwark.it.ItClients.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import bulwark.it.ItClients.RawResponse;
import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Seen;
import bulwark.it.TestSupport.Upstream;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Path confusion: routing, the route's filters and the upstream see one and the same normalised
 * path. /admin/** goes to upstream B through a middleware (it stands for an auth filter);
 * everything else to A.
 */
class PathConfusionIT {
  static Upstream a;
  static Upstream b;
  static RunningGateway gw;

  @BeforeAll
  static void start() throws Exception {
    a = new Upstream("a");
    b = new Upstream("b");
    gw =
        RunningGateway.start(
            TestSupport.head()
                + """
        upstreams:
          a: { targets: [ { url: "%s" } ] }
          b: { targets: [ { url: "%s" } ] }
        middlewares:
          guard:
            headers:
              request:
                set: { X-Guarded: "yes" }
        routes:
          - { name: admin, match: { path: /admin/** }, upstream: b, middlewares: [guard] }
          - { name: all, match: { path: /** }, upstream: a }
        """
                    .formatted(a.url(), b.url()));
  }

  @AfterAll
  static void stop() {
    if (gw != null) gw.close();
    if (a != null) a.close();
    if (b != null) b.close();
  }

  @ParameterizedTest(name = "{0} -> {1} {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        // raw request target           | status | upstream | what the upstream sees
        "/admin/x                       | 200    | b        | /admin/x",
        "/a/%2e%2e/admin                | 200    | b        | /admin",
        "/a/%2E%2E/admin/x              | 200    | b        | /admin/x",
        "/a/../admin/x                  | 200    | b        | /admin/x",
        "/%2e%2e/%2e%2e/admin           | 200    | b        | /admin",
        "//admin/x                      | 200    | b        | /admin/x",
        "/./admin//x                    | 200    | b        | /admin/x",
        "/%61dmin/x                     | 200    | b        | /admin/x",
        "/a/../admin?q=%2F..            | 200    | b        | /admin?q=%2F..",
        "/admin/../etc                  | 200    | a        | /etc",
        "/%252e%252e/admin              | 200    | a        | /%252e%252e/admin",
        "/a/..%2fadmin                  | 400    | -        | -",
        "/admin%2fx                     | 400    | -        | -",
        "/admin;x                       | 400    | -        | -",
        "/admin;jsessionid=1/x          | 400    | -        | -",
        "/a\\..\\admin                  | 400    | -        | -",
        "/a%5c..%5cadmin                | 400    | -        | -",
        "/admin%00/x                    | 400    | -        | -",
      })
  void theRoutedPathIsTheForwardedPath(String target, int status, String upstream, String seenUri)
      throws Exception {
    a.seen.clear();
    b.seen.clear();
    RawResponse r = ItClients.raw(gw.port, "GET " + target + " HTTP/1.1", "Host: gw");
    if (status != 200) {
      assertProblem(r, status);
      Thread.sleep(100);
      assertThat(a.seen).isEmpty();
      assertThat(b.seen).isEmpty();
      return;
    }
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    Upstream hit = upstream.equals("a") ? a : b;
    Upstream other = hit == a ? b : a;
    Seen seen = hit.seen.poll(5, TimeUnit.SECONDS);
    assertThat(seen).isNotNull();
    assertThat(seen.uri()).isEqualTo(seenUri);
    assertThat(seen.headers().get("X-Guarded")).isEqualTo(hit == b ? "yes" : null);
    assertThat(other.seen).isEmpty();
  }
}
