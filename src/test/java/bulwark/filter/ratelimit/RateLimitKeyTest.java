package bulwark.filter.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

class RateLimitKeyTest {
  private static MultiMap headers(String... kv) {
    MultiMap m = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < kv.length; i += 2) m.add(kv[i], kv[i + 1]);
    return m;
  }

  @Test
  void clientIpKeysByTheResolvedClientAddress() {
    RateLimitKey k = RateLimitKey.parse("client_ip");
    assertThat(k.of("10.0.0.1", "r", headers())).isNotEqualTo(k.of("10.0.0.2", "r", headers()));
    assertThat(k.of("10.0.0.1", "r1", headers("X-A", "1")))
        .isEqualTo(k.of("10.0.0.1", "r2", headers("X-A", "2")));
    assertThat(RateLimitKey.parse(null)).isEqualTo(k);
  }

  @Test
  void routeKeysByTheRouteName() {
    RateLimitKey k = RateLimitKey.parse("route");
    assertThat(k.of("10.0.0.1", "orders", headers()))
        .isEqualTo(k.of("10.0.0.2", "orders", headers()));
    assertThat(k.of("10.0.0.1", "orders", headers()))
        .isNotEqualTo(k.of("10.0.0.1", "users", headers()));
  }

  @Test
  void headerKeysByItsValueCaseInsensitiveName() {
    RateLimitKey k = RateLimitKey.parse("header:X-Api-Key");
    assertThat(k.spec()).isEqualTo("header:X-Api-Key");
    assertThat(k.of("1.1.1.1", "r", headers("x-api-key", "alice")))
        .isEqualTo(k.of("2.2.2.2", "r", headers("X-API-KEY", "alice")));
    assertThat(k.of("1.1.1.1", "r", headers("X-Api-Key", "alice")))
        .isNotEqualTo(k.of("1.1.1.1", "r", headers("X-Api-Key", "bob")));
  }

  @Test
  void requestsWithoutTheHeaderShareOneBucketThatNoValueCanReach() {
    RateLimitKey k = RateLimitKey.parse("header:X-Api-Key");
    String missing = k.of("1.1.1.1", "r", headers());
    assertThat(k.of("2.2.2.2", "r", headers("Other", "x"))).isEqualTo(missing);
    assertThat(k.of("1.1.1.1", "r", headers("X-Api-Key", "-"))).isNotEqualTo(missing);
    assertThat(k.of("1.1.1.1", "r", headers("X-Api-Key", ""))).isNotEqualTo(missing);
  }

  @Test
  void longValuesAreHashedSoAKeyStaysSmall() {
    RateLimitKey k = RateLimitKey.parse("header:X-Api-Key");
    String a = k.of("ip", "r", headers("X-Api-Key", "a".repeat(8000)));
    String b = k.of("ip", "r", headers("X-Api-Key", "a".repeat(7999) + "b"));
    assertThat(a.length()).isLessThan(60);
    assertThat(a).isNotEqualTo(b);
    assertThat(k.of("ip", "r", headers("X-Api-Key", "a".repeat(8000)))).isEqualTo(a);
  }

  @Test
  void anUnknownKindIsRefused() {
    assertThatThrownBy(() -> RateLimitKey.parse("cookie:x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RateLimitKey.parse("header:"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void consumerAndClaimKeysParseAndFallBackToTheClientIpWithoutAnExchange() {
    RateLimitKey c = RateLimitKey.parse("consumer");
    assertThat(c.spec()).isEqualTo("consumer");
    assertThat(c.of("10.0.0.1", "r", headers()))
        .isEqualTo(RateLimitKey.parse("client_ip").of("10.0.0.1", "r", headers()));
    RateLimitKey t = RateLimitKey.parse("claim:tenant");
    assertThat(t.spec()).isEqualTo("claim:tenant");
    assertThat(t.of("10.0.0.1", "r", headers())).isEqualTo(c.of("10.0.0.1", "r", headers()));
    assertThatThrownBy(() -> RateLimitKey.parse("claim:"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
