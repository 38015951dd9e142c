package bulwark.filter.cors;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.CorsConfig;
import bulwark.filter.Filter;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CorsFilterTest {
  static CorsConfig config(List<String> origins, boolean credentials) {
    return new CorsConfig(
        origins,
        List.of("GET", "POST"),
        List.of("Content-Type"),
        List.of(),
        credentials,
        Duration.ofMinutes(10));
  }

  @Test
  void exactOriginsCompareWithoutCase() {
    CorsFilter f =
        new CorsFilter(config(List.of("https://app.example.com", "http://localhost:3000"), true));
    assertThat(f.allowsOrigin("https://app.example.com")).isTrue();
    assertThat(f.allowsOrigin("HTTPS://APP.example.com")).isTrue();
    assertThat(f.allowsOrigin("http://localhost:3000")).isTrue();
    assertThat(f.allowsOrigin("http://app.example.com")).isFalse();
    assertThat(f.allowsOrigin("https://app.example.com:8443")).isFalse();
    assertThat(f.allowsOrigin("http://localhost:30000")).isFalse();
    assertThat(f.allowsOrigin("null")).isFalse();
  }

  @Test
  void subdomainPatternsMatchSubdomainsOnly() {
    CorsFilter f = new CorsFilter(config(List.of("https://*.example.com"), true));
    assertThat(f.allowsOrigin("https://a.example.com")).isTrue();
    assertThat(f.allowsOrigin("https://a.b.example.com")).isTrue();
    assertThat(f.allowsOrigin("https://example.com")).isFalse();
    assertThat(f.allowsOrigin("https://evilexample.com")).isFalse();
    assertThat(f.allowsOrigin("https://a.example.com.evil.net")).isFalse();
    assertThat(f.allowsOrigin("https://evil.net/.example.com")).isFalse();
    assertThat(f.allowsOrigin("https://u@a.example.com")).isFalse();
    assertThat(f.allowsOrigin("https://.example.com")).isFalse();
    assertThat(f.allowsOrigin("http://a.example.com")).isFalse();
    assertThat(f.allowsOrigin("https://a.example.com:444")).isFalse();
    CorsFilter withPort = new CorsFilter(config(List.of("https://*.example.com:8443"), false));
    assertThat(withPort.allowsOrigin("https://a.example.com:8443")).isTrue();
    assertThat(withPort.allowsOrigin("https://a.example.com")).isFalse();
  }

  @Test
  void anyOriginAllowsEverything() {
    assertThat(new CorsFilter(config(List.of("*"), false)).allowsOrigin("https://whatever.test"))
        .isTrue();
  }

  @Test
  void aRouteWithCorsGetsOptionsForPreflightsAndAStricterFilterCopy() {
    CorsFilter cors = new CorsFilter(config(List.of("*"), false));
    Filter other = (ex, next) -> next.next(ex);
    Filter[] chain = {other, cors};
    Set<String> methods = new LinkedHashSet<>(List.of("GET", "POST"));
    CorsFilter.allowPreflight(methods, chain);
    assertThat(methods).containsExactly("GET", "POST", "OPTIONS");
    assertThat(chain[0]).isSameAs(other);
    assertThat(chain[1]).isInstanceOf(CorsFilter.class).isNotSameAs(cors);

    // no method list (every method matches) or OPTIONS already listed: nothing changes
    Filter[] chain2 = {cors};
    Set<String> any = new LinkedHashSet<>();
    CorsFilter.allowPreflight(any, chain2);
    assertThat(any).isEmpty();
    assertThat(chain2[0]).isSameAs(cors);
    Set<String> withOptions = new LinkedHashSet<>(List.of("GET", "OPTIONS"));
    CorsFilter.allowPreflight(withOptions, chain2);
    assertThat(chain2[0]).isSameAs(cors);

    // no cors middleware: the route keeps its methods
    Set<String> plain = new LinkedHashSet<>(List.of("GET"));
    CorsFilter.allowPreflight(plain, new Filter[] {other});
    assertThat(plain).containsExactly("GET");
  }
}
