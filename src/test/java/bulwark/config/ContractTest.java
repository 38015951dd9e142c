package bulwark.config;

import static bulwark.config.ConfigTesting.TOKEN_32;
import static bulwark.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The user-facing contract (a copy of shared/contract/bulwark.example.yaml): this build must accept
 * it except for the sections of capabilities it does not have yet, and those it must reject by
 * name.
 */
class ContractTest {
  private static final String RESOURCE = "/contract/bulwark.example.yaml";

  static String contract() throws IOException {
    try (InputStream in = ContractTest.class.getResourceAsStream(RESOURCE)) {
      assertThat(in).as("test resource %s", RESOURCE).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void theCopyIsTheSharedContractWhenThatIsAtHand() throws IOException {
    Path shared = Path.of("..", "shared", "contract", "bulwark.example.yaml");
    assumeTrue(Files.isRegularFile(shared), "shared/ is not beside the checkout");
    assertThat(contract())
        .as("src/test/resources%s differs from %s: copy the contract again", RESOURCE, shared)
        .isEqualTo(Files.readString(shared));
  }

  @Test
  void theContractHasNoErrors() throws Exception {
    assertThat(load(contract(), Map.of()).observability().metrics().enabled()).isTrue();
  }

  /** The contract as written (every section is supported now). */
  static String withoutLaterSections(boolean standIn) throws IOException {
    return contract();
  }

  @Test
  void withoutTheLaterSectionsTheContractIsValidAndBindsAsWritten() throws Exception {
    BulwarkConfig cfg = load(withoutLaterSections(true), Map.of());

    assertThat(cfg.server())
        .isEqualTo(
            new ServerConfig(
                "127.0.0.1:8080",
                true,
                List.of("127.0.0.1/32"),
                new LimitsConfig(
                    new ByteSize(16 * 1024),
                    new ByteSize(10L << 20),
                    Duration.ofSeconds(10),
                    Duration.ofSeconds(60),
                    Duration.ofSeconds(30)),
                new ShutdownConfig(Duration.ofSeconds(30), Duration.ofSeconds(5)),
                Duration.ofSeconds(1),
                null,
                List.of("X-Original-URL", "X-Rewrite-URL"),
                List.of(
                    "True-Client-IP",
                    "X-Client-IP",
                    "CF-Connecting-IP",
                    "Fastly-Client-IP",
                    "X-Cluster-Client-IP",
                    "X-Forwarded-Port"),
                Duration.ofSeconds(30)));
    assertThat(cfg.admin()).isEqualTo(new AdminConfig("127.0.0.1:9901", "", "", List.of()));
    assertThat(cfg.observability())
        .isEqualTo(
            new ObservabilityConfig(
                LogFormat.AUTO,
                new AccessLogConfig(true, "stdout"),
                new MetricsConfig(true),
                new TracingConfig(
                    false,
                    "http://127.0.0.1:4318",
                    TracingProtocol.HTTP_PROTOBUF,
                    Percent.parse("10%"),
                    "bulwark",
                    java.util.Map.of(),
                    java.time.Duration.ofSeconds(10),
                    8192,
                    2048,
                    java.time.Duration.ofSeconds(5)),
                null));
    assertThat(cfg.cluster())
        .isEqualTo(new ClusterConfig("redis://127.0.0.1:6379", Duration.ofMillis(100)));

    assertThat(cfg.upstreams().keySet()).containsExactly("users", "users-v2", "orders");
    UpstreamConfig users = cfg.upstreams().get("users");
    assertThat(users.targets())
        .containsExactly(
            new TargetConfig("http://127.0.0.1:8081", 3),
            new TargetConfig("http://127.0.0.1:8082", 1));
    assertThat(users.balancer()).isEqualTo("round_robin");
    assertThat(users.timeouts())
        .isEqualTo(
            new TimeoutsConfig(
                Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(60)));
    assertThat(users.maxConnectionsPerTarget()).isEqualTo(256);
    assertThat(users.healthCheck())
        .isEqualTo(
            new HealthCheckConfig(
                new ActiveCheckConfig(
                    HealthCheckType.HTTP,
                    null,
                    "/health",
                    List.of(),
                    null,
                    Duration.ofSeconds(5),
                    new Percent(10),
                    Duration.ofSeconds(1),
                    2,
                    3),
                new PassiveCheckConfig(5, Duration.ofSeconds(30), new Percent(50)),
                new ScoreConfig(new ScoreWeights(30, 40, 20, 10), 20),
                false));
    assertThat(users.circuitBreaker())
        .isEqualTo(
            new CircuitBreakerConfig(
                new Percent(50),
                Duration.ofSeconds(2),
                new Percent(80),
                WindowType.COUNT,
                50,
                20,
                Duration.ofSeconds(10),
                5,
                Duration.ofSeconds(10),
                BreakerScope.UPSTREAM));
    assertThat(users.retry())
        .isEqualTo(
            new RetryConfig(
                2,
                Stream.of("connect_failure", "reset", "timeout", "502", "503", "504")
                    .map(RetryOn::parse)
                    .toList(),
                Duration.ofMillis(25),
                Duration.ofMillis(250),
                new Percent(20),
                10,
                null,
                new ByteSize(64 * 1024)));
    assertThat(cfg.middlewares().get("per-ip").rateLimit())
        .isEqualTo(
            new RateLimitConfig(
                RateLimitKeySpec.CLIENT_IP,
                new Rate(10, Duration.ofSeconds(1)),
                20,
                RateLimitScope.LOCAL,
                FailureMode.OPEN,
                1_000_000));
    assertThat(cfg.upstreams().get("users-v2").targets())
        .containsExactly(new TargetConfig("http://127.0.0.1:8083", 1));
    UpstreamConfig orders = cfg.upstreams().get("orders");
    assertThat(orders.balancer()).isEqualTo("consistent_hash");
    assertThat(orders.hashOn()).isEqualTo("header:X-User-Id");
    assertThat(orders.targets())
        .extracting(TargetConfig::url)
        .containsExactly("http://127.0.0.1:8084", "http://127.0.0.1:8085");

    assertThat(cfg.middlewares().keySet()).containsExactly("per-ip", "auth");
    JwtConfig jwt = cfg.middlewares().get("auth").jwt();
    assertThat(jwt.jwksUrl()).isEqualTo("http://127.0.0.1:8090/.well-known/jwks.json");
    assertThat(jwt.issuer()).isEqualTo("https://id.example.com/");
    assertThat(jwt.audience()).isEqualTo("orders-api");
    assertThat(jwt.algorithms()).containsExactly("RS256", "ES256");
    assertThat(jwt.clockSkew()).isEqualTo(Duration.ofSeconds(30));
    assertThat(jwt.forwardClaims()).isEqualTo(Map.of("sub", "X-User-Id"));
    assertThat(jwt.token()).isEqualTo("header");
    assertThat(jwt.allow()).containsExactly("user", "client");
    assertThat(jwt.jwksMaxStale()).isEqualTo(Duration.ofHours(1));
    assertThat(cfg.versioning()).isEqualTo(new VersioningConfig("example", "v1"));

    assertThat(cfg.routes())
        .containsExactly(
            new RouteConfig(
                "users-v1",
                new MatchConfig("/api/users/**", List.of("GET", "POST"), null, Map.of(), Map.of()),
                "v1",
                "users",
                List.of("per-ip"),
                Duration.ofSeconds(3),
                null,
                false,
                null),
            new RouteConfig(
                "users-v2",
                new MatchConfig("/api/users/**", List.of("GET", "POST"), null, Map.of(), Map.of()),
                "v2",
                "users-v2",
                List.of(),
                null,
                null,
                false,
                null),
            new RouteConfig(
                "user-profile",
                new MatchConfig(
                    "/profiles/{id}", List.of("GET"), "*.example.com", Map.of(), Map.of()),
                null,
                "users",
                List.of(),
                null,
                "/api/users/{id}/profile",
                false,
                null));

    MatchConfig anyOrders = new MatchConfig("/orders/**", List.of(), null, Map.of(), Map.of());
    assertThat(cfg.groups())
        .containsExactly(
            new GroupConfig(
                "/api/v1",
                true,
                List.of("per-ip"),
                List.of(
                    new RouteConfig(
                        "orders-v1",
                        anyOrders,
                        null,
                        "orders",
                        List.of(),
                        null,
                        null,
                        false,
                        null)),
                List.of()),
            new GroupConfig(
                "/api/v2",
                true,
                List.of("auth", "per-ip"),
                List.of(
                    new RouteConfig(
                        "orders-v2",
                        anyOrders,
                        null,
                        "orders",
                        List.of(),
                        null,
                        null,
                        false,
                        null)),
                List.of()));

    assertThat(FlatRoute.flatten(cfg))
        .extracting(
            FlatRoute::path, FlatRoute::pattern, FlatRoute::stripPrefix, FlatRoute::middlewares)
        .containsExactly(
            tuple("routes[0]", "/api/users/**", "", List.of("per-ip")),
            tuple("routes[1]", "/api/users/**", "", List.of()),
            tuple("routes[2]", "/profiles/{id}", "", List.of()),
            tuple("groups[0].routes[0]", "/api/v1/orders/**", "/api/v1", List.of("per-ip")),
            tuple(
                "groups[1].routes[0]", "/api/v2/orders/**", "/api/v2", List.of("auth", "per-ip")));
  }

  @Test
  void theAdminTokenComesFromTheEnvironmentWhenSet() throws Exception {
    assertThat(
            load(withoutLaterSections(true), Map.of("BULWARK_ADMIN_TOKEN", TOKEN_32))
                .admin()
                .token())
        .isEqualTo(TOKEN_32);
    String read = "read-only-" + TOKEN_32;
    AdminConfig both =
        load(
                withoutLaterSections(true),
                Map.of("BULWARK_ADMIN_TOKEN", TOKEN_32, "BULWARK_ADMIN_READ_TOKEN", read))
            .admin();
    assertThat(both.token()).isEqualTo(TOKEN_32);
    assertThat(both.readToken()).isEqualTo(read);
  }

  private static org.assertj.core.groups.Tuple tuple(Object... values) {
    return org.assertj.core.groups.Tuple.tuple(values);
  }
}
