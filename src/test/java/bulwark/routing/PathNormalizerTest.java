package bulwark.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import bulwark.routing.PathNormalizer.RejectedPath;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PathNormalizerTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "/                     | /",
        "/a/b                  | /a/b",
        "/a/b/                 | /a/b/",
        "/a/../admin           | /admin",
        "/a/%2e%2e/admin       | /admin",
        "/a/%2E%2E/admin       | /admin",
        "/%2e%2e/%2e%2e/etc    | /etc",
        "/a/./b/.              | /a/b/",
        "/..                   | /",
        "//admin               | /admin",
        "/a//b///c             | /a/b/c",
        "/%252e%252e/admin     | /%252e%252e/admin",
        "/api/us%65rs/7        | /api/users/7",
        "/a%20b                | /a%20b",
        "/caf%C3%A9            | /caf%C3%A9",
        "/a/b/..               | /a/",
        "/a:b@c!$&'()*+,=      | /a:b@c!$&'()*+,=",
      })
  void normalises(String raw, String expected) throws RejectedPath {
    assertThat(PathNormalizer.normalize(raw)).isEqualTo(expected);
    assertThat(PathNormalizer.normalize(expected)).as("idempotent").isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/a/..%2fadmin",
        "/a%2Fb",
        "/a%5cb",
        "/a\\b",
        "/a%00b",
        "/admin;x",
        "/a/b;jsessionid=1",
        "/a%0d%0ab",
        "/a%",
        "/a%2",
        "/a%zz",
        "/%C3%28",
        "relative",
        "/a%7F"
      })
  void rejects(String raw) {
    assertThatThrownBy(() -> PathNormalizer.normalize(raw)).isInstanceOf(RejectedPath.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/users/7", "/a b/c", "/x%y", "/caf\u00e9"})
  void decodedPathsReEncodeToWhatNormaliseGives(String decoded) throws RejectedPath {
    String enc = PathNormalizer.encode(decoded);
    assertThat(PathNormalizer.decoded(enc)).isEqualTo(decoded);
  }
}
