package bulwark.config;

import static bulwark.config.ConfigTesting.USERS;
import static bulwark.config.ConfigTesting.errors;
import static bulwark.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Config values written as one of a fixed set of names: one enum per grammar, read by the binder.
 */
class ConfigNamesTest {
  static final List<Class<? extends ConfigName>> ENUMS =
      List.of(
          RateLimitScope.class,
          FailureMode.class,
          TracingProtocol.class,
          LogFormat.class,
          RemediationAction.class,
          HealthCheckType.class,
          WindowType.class,
          BreakerScope.class,
          AdaptiveAlgorithm.class,
          TlsVersion.class,
          RetryCondition.class);

  @Test
  void everyNameReadsBackAsItsConstantAndPrintsAsItself() {
    for (Class<? extends ConfigName> e : ENUMS) {
      List<String> names = Names.of(e);
      assertThat(names)
          .as(e.getSimpleName())
          .doesNotHaveDuplicates()
          .hasSize(e.getEnumConstants().length);
      for (ConfigName c : e.getEnumConstants()) {
        assertThat(Names.parse(e, c.configName())).isSameAs(c);
        assertThat(c.toString()).isEqualTo(c.configName());
      }
    }
  }

  @Test
  void anUnknownNameSaysWhichNamesThereAre() {
    assertThatThrownBy(() -> Names.parse(WindowType.class, "sliding"))
        .hasMessage("'sliding' must be count or time");
    assertThatThrownBy(() -> Names.parse(LogFormat.class, "xml"))
        .hasMessage("'xml' must be auto, json or text");
    assertThatThrownBy(() -> Names.parse(RemediationAction.class, "ejectTraget"))
        .hasMessage(
            "unknown action 'ejectTraget' (known: ejectTarget, tightenRateLimit, openBreaker, useFallback) (did you mean 'ejectTarget'?)");
    assertThatThrownBy(() -> Names.parse(TlsVersion.class, "TLSv1.1"))
        .hasMessage("'TLSv1.1' must be TLSv1.2 or TLSv1.3 (older versions are not accepted)");
  }

  @Test
  void theBinderTypesTheValueAndItsDefault() throws ConfigException {
    BulwarkConfig c =
        load(
            USERS
                + """
        middlewares:
          limit:
            rateLimit: { rate: 10/s, onRedisFailure: closed }
        """);
    RateLimitConfig r = c.middlewares().get("limit").rateLimit();
    assertThat(r.scope()).isSameAs(RateLimitScope.LOCAL);
    assertThat(r.onRedisFailure()).isSameAs(FailureMode.CLOSED);
  }

  @Test
  void anUnknownNameIsReportedAtItsPathInTheOrderOfTheSectionsChecks() {
    // burst and maxKeys are checked by the validator, scope is read by the binder: the scope error
    // still comes between them, where the validator checked scope when it was a string
    assertThat(
            errors(
                USERS
                    + """
        middlewares:
          limit:
            rateLimit: { rate: 10/s, burst: -1, scope: global, onRedisFailure: maybe, maxKeys: 0 }
        """))
        .containsExactly(
            "middlewares.limit.rateLimit.burst: must not be negative",
            "middlewares.limit.rateLimit.scope: 'global' must be local or cluster",
            "middlewares.limit.rateLimit.onRedisFailure: 'maybe' must be open or closed",
            "middlewares.limit.rateLimit.maxKeys: must be at least 1");
  }

  @Test
  void theDocsListTheEnumsNamesInDeclarationOrder() {
    assertThat(ConfigDocs.oneOf(FailureMode.class, null)).containsExactly("open", "closed");
    assertThat(ConfigDocs.oneOf(TracingProtocol.class, null))
        .containsExactly("http/protobuf", "grpc");
    assertThat(Arrays.stream(RemediationAction.values()).map(RemediationAction::configName))
        .containsExactlyElementsOf(ConfigDocs.oneOf(RemediationAction.class, null));
  }
}
