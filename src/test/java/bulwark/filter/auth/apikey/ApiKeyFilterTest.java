package bulwark.filter.auth.apikey;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.filter.auth.Digest;
import org.junit.jupiter.api.Test;

class ApiKeyFilterTest {
  @Test
  void theKeyParameterIsRemovedFromTheUpstreamUri() {
    assertThat(ApiKeyFilter.withoutParam("/a?api_key=s3cret", "api_key")).isEqualTo("/a");
    assertThat(ApiKeyFilter.withoutParam("/a?x=1&api_key=s3cret&y=2", "api_key"))
        .isEqualTo("/a?x=1&y=2");
    assertThat(ApiKeyFilter.withoutParam("/a?api_key=1&api_key=2&z", "api_key")).isEqualTo("/a?z");
    assertThat(ApiKeyFilter.withoutParam("/a?api%5Fkey=s3cret&b=1", "api_key")).isEqualTo("/a?b=1");
    assertThat(ApiKeyFilter.withoutParam("/a?api_keys=1", "api_key")).isEqualTo("/a?api_keys=1");
    assertThat(ApiKeyFilter.withoutParam("/a", "api_key")).isEqualTo("/a");
    assertThat(ApiKeyFilter.withoutParam("/a?b=%zz", "api_key")).isEqualTo("/a?b=%zz");
  }

  @Test
  void digestsOfTheSameKeyAreEqualAndMatchTheConfiguredHex() {
    Digest d = Digest.sha256("secret");
    assertThat(d)
        .isEqualTo(
            Digest.ofHex("2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"));
    assertThat(d)
        .isEqualTo(
            Digest.ofHex("2BB80D537B1DA3E38BD30361AA855686BDE0EACD7162FEF6A25FE97BF527A25B"));
    assertThat(d.hashCode()).isEqualTo(Digest.sha256("secret").hashCode());
    assertThat(d).isNotEqualTo(Digest.sha256("secreT"));
    assertThat(d.toString()).doesNotContain("2bb8");
  }
}
