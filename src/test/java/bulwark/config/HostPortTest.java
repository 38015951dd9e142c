package bulwark.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HostPortTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "0.0.0.0:8080,     0.0.0.0,        8080",
    "127.0.0.1:9901,   127.0.0.1,      9901",
    "localhost:1,      localhost,      1",
    "[::1]:9901,       ::1,            9901",
    "[::]:65535,       ::,             65535",
    "api.example.com:443, api.example.com, 443",
  })
  void parsesHostAndPortAndPrintsThemBack(String text, String host, int port) {
    HostPort hp = HostPort.parse(text);
    assertThat(hp).isEqualTo(new HostPort(host, port));
    assertThat(hp).hasToString(text);
  }

  @ParameterizedTest
  @ValueSource(strings = {"8080", "localhost", "host:", ":80", ""})
  void withoutAHostOrAPortItIsNotHostPort(String text) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> HostPort.parse(text))
        .withMessage("'" + text + "' is not host:port");
  }

  @ParameterizedTest
  @ValueSource(strings = {"host:65536", "host:http", "host:-1", "host:123456"})
  void aPortMustBeANumberUpTo65535(String text) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> HostPort.parse(text))
        .withMessage("'" + text + "' has a bad port");
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1:9901", "127.255.0.9:1", "localhost:9901", "[::1]:9901"})
  void loopbackAddressesAreLoopback(String text) {
    assertThat(HostPort.parse(text).loopback()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "0.0.0.0:9901",
        "10.0.0.1:9901",
        "128.0.0.1:9901",
        "[::]:9901",
        "127.example.com:9901",
        "127.0.0.1.nip.io:9901",
        "localhost.example.com:9901"
      })
  void anythingElseIsNotLoopbackEvenANameThatStartsLikeOne(String text) {
    assertThat(HostPort.parse(text).loopback()).isFalse();
  }

  @Test
  void aBadListenAddressIsAConfigErrorAtItsPath() {
    assertThat(
            ConfigTesting.errors(
                "server:\n  listen: \"8080\"\nadmin:\n  listen: \"127.0.0.1:99999\"\n"))
        .containsExactly(
            "server.listen: '8080' is not host:port",
            "admin.listen: '127.0.0.1:99999' has a bad port");
  }
}
