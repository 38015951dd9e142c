package bulwark.filter.auth.basic;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BasicAuthFilterTest {
  /** bcrypt of "s3cret", cost 4 (fast for tests). */
  static final byte[] HASH =
      "$2y$04$uP9lKqVTs4Aipp5RzOhHluikgmvDwOnjx2paUMEvcEaseBZRrIo/2"
          .getBytes(StandardCharsets.US_ASCII);

  @Test
  void aPasswordIsCheckedAgainstItsBcryptHash() {
    assertThat(BasicAuthFilter.check("s3cret".getBytes(StandardCharsets.UTF_8), HASH)).isTrue();
    assertThat(BasicAuthFilter.check("s3creT".getBytes(StandardCharsets.UTF_8), HASH)).isFalse();
    assertThat(BasicAuthFilter.check(new byte[0], HASH)).isFalse();
  }

  @Test
  void anUnknownUserFailsAfterADummyCheck() {
    assertThat(BasicAuthFilter.check("s3cret".getBytes(StandardCharsets.UTF_8), null)).isFalse();
  }

  @Test
  void aVeryLongPasswordFailsInsteadOfThrowing() {
    assertThat(BasicAuthFilter.check("x".repeat(5000).getBytes(StandardCharsets.UTF_8), HASH))
        .isFalse();
    assertThat(
            BasicAuthFilter.check(
                "s3cret".getBytes(StandardCharsets.UTF_8),
                "$2y$04$short".getBytes(StandardCharsets.US_ASCII)))
        .isFalse();
  }
}
