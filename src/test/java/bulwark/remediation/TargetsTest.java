package bulwark.remediation;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.ConfigException;
import bulwark.config.ConfigLoader;
import bulwark.config.TargetConfig;
import bulwark.config.UpstreamConfig;
import bulwark.upstream.UpstreamRuntime;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An ejectTarget names a target the way the live state keys it. */
class TargetsTest {
  private static final List<String> URLS =
      List.of(
          "http://10.0.0.1:8080",
          "http://orders.internal",
          "https://orders.internal",
          "https://[::1]:8443",
          "http://[2001:db8::7]",
          "http://Example.COM:81/");

  @Test
  void aTargetNamedByUrlHasTheKeyTheUpstreamKeepsItsStateUnder() {
    for (String url : URLS) {
      assertThat(Targets.key(url)).as(url).isEqualTo(UpstreamRuntime.targetKey(url));
      assertThat(TargetConfig.address(url)).as(url).isEqualTo(UpstreamRuntime.targetKey(url));
    }
    assertThat(Targets.key("10.0.0.1:8080")).isEqualTo("10.0.0.1:8080");
    assertThat(Targets.key("http://")).isEqualTo("http://");
  }

  @Test
  void findMatchesByAddressOrUrl() throws ConfigException {
    UpstreamConfig u =
        new ConfigLoader(name -> null)
            .parse(
                """
        upstreams:
          u:
            targets: [ { url: "http://10.0.0.1:8080" }, { url: "https://[::1]" } ]
        """)
            .upstreams()
            .get("u");
    TargetConfig a = u.targets().get(0);
    TargetConfig b = u.targets().get(1);
    assertThat(TargetConfig.find(u, "10.0.0.1:8080")).isSameAs(a);
    assertThat(TargetConfig.find(u, "http://10.0.0.1:8080/")).isSameAs(a);
    assertThat(TargetConfig.find(u, "[::1]:443")).isSameAs(b);
    assertThat(TargetConfig.find(u, "10.0.0.1:80")).isNull();
  }
}
