package bulwark.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.net.HostAndPort;
import org.junit.jupiter.api.Test;

class RequestHostTest {
  private static HostAndPort parse(String v) throws RequestHost.Invalid {
    return RequestHost.parse(v, "the Host header");
  }

  @Test
  void plainHostsAndPorts() throws Exception {
    assertThat(parse("api.test").host()).isEqualTo("api.test");
    assertThat(parse("api.test").port()).isEqualTo(-1);
    assertThat(parse("API.test:65535").port()).isEqualTo(65535);
    assertThat(parse("10.0.0.1:80").host()).isEqualTo("10.0.0.1");
    assertThat(parse("[::1]:8080").host()).isEqualTo("[::1]");
    assertThat(parse("[::1]").port()).isEqualTo(-1);
  }

  @Test
  void oneTrailingDotIsRemoved() throws Exception {
    assertThat(parse("api.test.").host()).isEqualTo("api.test");
    assertThat(parse("api.test.:443").host()).isEqualTo("api.test");
    assertThat(parse("api.test.:443").port()).isEqualTo(443);
    assertThat(RequestHost.check("api.test.")).isNull();
  }

  @Test
  void refusals() {
    for (String bad :
        new String[] {
          "",
          ".",
          "api..test",
          "api.test..",
          ":80",
          "a@b",
          "a:1@b",
          "a/b",
          "a?b",
          "a#b",
          "a b",
          "a,b",
          "a%2e",
          "a:",
          "a:65536",
          "a:123456",
          "a:8o",
          "a:1:2",
          "[::1",
          "[x]",
          "[::1]x",
          "\u00e9.test"
        }) {
      assertThatThrownBy(() -> parse(bad))
          .as(bad)
          .isInstanceOf(RequestHost.Invalid.class)
          .hasMessageContaining("Host");
      assertThat(RequestHost.check(bad)).as(bad).isNotNull();
    }
    assertThat(RequestHost.check("secure.test@evil.test")).contains("userinfo");
  }
}
