package bulwark.config;

import static bulwark.config.ConfigTesting.errors;
import static bulwark.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** upstreams.NAME.discovery: binding and every error with its path. */
class DiscoveryConfigTest {
  private static String with(String upstream) {
    return """
        server: { listen: "127.0.0.1:8080" }
        upstreams:
          svc: %s
        routes:
          - { name: r, match: { path: /** }, upstream: svc }
        """
        .formatted(upstream);
  }

  @Test
  void aDnsDiscoveryBinds() throws Exception {
    BulwarkConfig c =
        load(
            with(
                "{ discovery: { dns: \"payments.svc.cluster.local:8080\", refresh: 10s,"
                    + " nameservers: [\"127.0.0.1:5353\"] } }"));
    DiscoveryConfig d = c.upstreams().get("svc").discovery();
    assertThat(d.dns()).isEqualTo("payments.svc.cluster.local:8080");
    assertThat(d.refresh()).isEqualTo(Duration.ofSeconds(10));
    assertThat(d.nameservers()).containsExactly("127.0.0.1:5353");
  }

  @Test
  void everyMistakeIsNamedWithItsPath() {
    assertThat(
            errors(
                with(
                    "{ targets: [ { url: \"http://127.0.0.1:1\" } ], discovery: { dns: \"a.svc:80\" } }")))
        .anySatisfy(
            e -> assertThat(e).startsWith("upstreams.svc.discovery: an upstream has either"));
    assertThat(errors(with("{ discovery: { dns: \"a.svc:80\", srv: _http._tcp.a.svc } }")))
        .anySatisfy(e -> assertThat(e).startsWith("upstreams.svc.discovery: needs exactly one"));
    assertThat(errors(with("{ discovery: { dns: \"a.svc\" } }")))
        .anySatisfy(e -> assertThat(e).startsWith("upstreams.svc.discovery.dns: "));
    assertThat(errors(with("{ discovery: { dns: \"a.svc:0\" } }")))
        .anySatisfy(e -> assertThat(e).contains("bad port"));
    assertThat(errors(with("{ discovery: { dns: \"bad name!:80\" } }")))
        .anySatisfy(e -> assertThat(e).startsWith("upstreams.svc.discovery.dns: "));
    assertThat(errors(with("{ discovery: { dns: \"a.svc:80\", refresh: 0s } }")))
        .anySatisfy(e -> assertThat(e).startsWith("upstreams.svc.discovery.refresh"));
    assertThat(errors(with("{ discovery: { dns: \"a.svc:80\", nameservers: [\"dns.google\"] } }")))
        .anySatisfy(e -> assertThat(e).startsWith("upstreams.svc.discovery.nameservers[0]"));
    assertThat(errors(with("{ balancer: round_robin }")))
        .anySatisfy(e -> assertThat(e).startsWith("upstreams.svc.targets: at least one target"));
  }
}
