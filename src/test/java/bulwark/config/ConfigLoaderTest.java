package bulwark.config;

import static bulwark.config.ConfigTesting.TOKEN_32;
import static bulwark.config.ConfigTesting.USERS;
import static bulwark.config.ConfigTesting.errors;
import static bulwark.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigLoaderTest {

  // ------------------------------------------------------------------ binding

  @Test
  void fullConfigBindsEveryValueAsWritten() throws Exception {
    BulwarkConfig cfg =
        load(
            """
        server:
          listen: "0.0.0.0:8443"
          http2: false
          trustedProxies: ["10.0.0.0/8", "::1"]
          limits:
            maxHeaderBytes: 32KiB
            maxBodyBytes: 1GiB
            requestHeaderTimeout: 250ms
            idleTimeout: 2m
          shutdown:
            gracePeriod: 1h
        admin:
          listen: "10.0.0.5:9901"
          token: "%s"
        observability:
          accessLog:
            enabled: false
            output: /var/log/bulwark/access.log
        upstreams:
          users:
            targets:
              - url: http://10.0.1.10:8080
                weight: 3
              - url: https://users.internal:8443
            balancer: least_request
            timeouts: { connect: 500ms, response: 5s, idle: 30s }
            maxConnectionsPerTarget: 64
          orders:
            targets: [ { url: "http://[::1]:8084" } ]
            balancer: consistent_hash
            hashOn: cookie:session
        middlewares:
          tag:
            headers:
              request:
                set: { X-Gateway: bulwark }
                add: { Via: "1.1 bulwark" }
                remove: [X-Debug]
              response:
                remove: [Server]
        versioning:
          vendor: example
          default: v1
        routes:
          - name: user-profile
            match:
              path: "/profiles/{id}"
              methods: [GET, HEAD]
              host: "*.example.com"
              headers: { X-Tenant: "regex:[a-z]+" }
              query: { debug: "1" }
            version: v2
            upstream: users
            middlewares: [tag]
            timeout: 3s
            rewrite: "/users/{id}/profile"
        groups:
          - prefix: /api/v1
            stripPrefix: true
            middlewares: [tag]
            routes:
              - name: orders-v1
                match: { path: /orders/** }
                upstream: orders
            groups:
              - prefix: /admin
                routes:
                  - name: orders-admin
                    match: { path: /orders }
                    upstream: orders
        """
                .formatted(TOKEN_32));

    MatchConfig anyOrders = new MatchConfig("/orders/**", List.of(), null, Map.of(), Map.of());
    BulwarkConfig expected =
        new BulwarkConfig(
            new ServerConfig(
                "0.0.0.0:8443",
                false,
                List.of("10.0.0.0/8", "::1"),
                new LimitsConfig(
                    new ByteSize(32 * 1024),
                    new ByteSize(1L << 30),
                    Duration.ofMillis(250),
                    Duration.ofMinutes(2),
                    Duration.ofSeconds(30)),
                new ShutdownConfig(Duration.ofHours(1), Duration.ofSeconds(5)),
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
                Duration.ofSeconds(30)),
            new AdminConfig("10.0.0.5:9901", TOKEN_32, null, List.of()),
            new ObservabilityConfig(
                LogFormat.AUTO,
                new AccessLogConfig(false, "/var/log/bulwark/access.log"),
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
                null),
            null,
            Map.of(
                "users",
                    new UpstreamConfig(
                        List.of(
                            new TargetConfig("http://10.0.1.10:8080", 3),
                            new TargetConfig("https://users.internal:8443", 1)),
                        null,
                        "least_request",
                        null,
                        new TimeoutsConfig(
                            Duration.ofMillis(500), Duration.ofSeconds(5), Duration.ofSeconds(30)),
                        64,
                        4096,
                        null,
                        null,
                        null,
                        new OverloadConfig(10000, 1024, null),
                        null,
                        UpstreamProtocol.HTTP1),
                "orders",
                    new UpstreamConfig(
                        List.of(new TargetConfig("http://[::1]:8084", 1)),
                        null,
                        "consistent_hash",
                        "cookie:session",
                        new TimeoutsConfig(
                            Duration.ofSeconds(1), Duration.ofSeconds(15), Duration.ofSeconds(60)),
                        256,
                        4096,
                        null,
                        null,
                        null,
                        new OverloadConfig(10000, 1024, null),
                        null,
                        UpstreamProtocol.HTTP1)),
            Map.of(
                "tag",
                new MiddlewareConfig(
                    new HeadersConfig(
                        new HeaderOps(
                            Map.of("X-Gateway", "bulwark"),
                            Map.of("Via", "1.1 bulwark"),
                            List.of("X-Debug")),
                        new HeaderOps(Map.of(), Map.of(), List.of("Server"))),
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null)),
            new VersioningConfig("example", "v1"),
            List.of(
                new RouteConfig(
                    "user-profile",
                    new MatchConfig(
                        "/profiles/{id}",
                        List.of("GET", "HEAD"),
                        "*.example.com",
                        Map.of("X-Tenant", "regex:[a-z]+"),
                        Map.of("debug", "1")),
                    "v2",
                    "users",
                    List.of("tag"),
                    Duration.ofSeconds(3),
                    "/users/{id}/profile",
                    false,
                    null)),
            List.of(
                new GroupConfig(
                    "/api/v1",
                    true,
                    List.of("tag"),
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
                    List.of(
                        new GroupConfig(
                            "/admin",
                            false,
                            List.of(),
                            List.of(
                                new RouteConfig(
                                    "orders-admin",
                                    new MatchConfig("/orders", List.of(), null, Map.of(), Map.of()),
                                    null,
                                    "orders",
                                    List.of(),
                                    null,
                                    null,
                                    false,
                                    null)),
                            List.of())))),
            null);

    assertThat(cfg).isEqualTo(expected);
    // maps keep the order of the file (balancer state, admin listings and docs follow it)
    assertThat(cfg.upstreams().keySet()).containsExactly("users", "orders");
  }

  @Test
  void absentFieldsTakeTheirDocumentedDefaults() throws Exception {
    BulwarkConfig cfg =
        load(
            USERS
                + """
        routes:
          - name: r
            match: { path: /r }
            upstream: users
        """);

    assertThat(cfg.server())
        .isEqualTo(
            new ServerConfig(
                "0.0.0.0:8080",
                true,
                List.of(),
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
    assertThat(cfg.admin()).isEqualTo(new AdminConfig("127.0.0.1:9901", null, null, List.of()));
    assertThat(cfg.observability().accessLog()).isEqualTo(new AccessLogConfig(true, "stdout"));
    assertThat(cfg.upstreams().get("users"))
        .isEqualTo(
            new UpstreamConfig(
                List.of(new TargetConfig("http://127.0.0.1:8081", 1)),
                null,
                "round_robin",
                null,
                new TimeoutsConfig(
                    Duration.ofSeconds(1), Duration.ofSeconds(15), Duration.ofSeconds(60)),
                256,
                4096,
                null,
                null,
                null,
                new OverloadConfig(10000, 1024, null),
                null,
                UpstreamProtocol.HTTP1));
    assertThat(cfg.middlewares()).isEmpty();
    assertThat(cfg.versioning()).isNull();
    assertThat(cfg.groups()).isEmpty();
    assertThat(cfg.routes().get(0))
        .isEqualTo(
            new RouteConfig(
                "r",
                new MatchConfig("/r", List.of(), null, Map.of(), Map.of()),
                null,
                "users",
                List.of(),
                null,
                null,
                false,
                null));
  }

  @Test
  void aKeyWithNoValueTakesTheDefaultAndPartialSectionsKeepTheOtherDefaults() throws Exception {
    BulwarkConfig cfg =
        load(
            """
        server:
          listen:
          limits:
            maxBodyBytes: 0
        upstreams:
          users:
            targets: [ { url: "http://127.0.0.1:8081" } ]
            timeouts: { response: 2s }
        """);

    assertThat(cfg.server().listen()).isEqualTo("0.0.0.0:8080");
    assertThat(cfg.server().limits())
        .isEqualTo(
            new LimitsConfig(
                new ByteSize(16 * 1024),
                new ByteSize(0),
                Duration.ofSeconds(10),
                Duration.ofSeconds(60),
                Duration.ofSeconds(30)));
    assertThat(cfg.upstreams().get("users").timeouts())
        .isEqualTo(
            new TimeoutsConfig(
                Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(60)));
  }

  @Test
  void scalarsAreTakenAsWrittenNotAsYamlNumbersOrBooleanWords() throws Exception {
    BulwarkConfig cfg =
        load(
            USERS
                + """
            maxConnectionsPerTarget: 010
        middlewares:
          tag:
            headers:
              request:
                set: { X-Zip: 01234, X-Api: 2.10, X-Flag: on, X-Answer: no }
        versioning:
          vendor: example
          default: 1.10
        """);

    assertThat(cfg.upstreams().get("users").maxConnectionsPerTarget()).isEqualTo(10);
    assertThat(cfg.middlewares().get("tag").headers().request().set())
        .containsExactly(
            Map.entry("X-Zip", "01234"),
            Map.entry("X-Api", "2.10"),
            Map.entry("X-Flag", "on"),
            Map.entry("X-Answer", "no"));
    assertThat(cfg.versioning().defaultVersion()).isEqualTo("1.10");
  }

  @Test
  void loadReadsAFileAndReportsOneThatCannotBeRead(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("bulwark.yaml");
    Files.writeString(file, USERS);
    assertThat(ConfigLoader.fromSystemEnv().load(file).upstreams()).containsOnlyKeys("users");

    Path missing = dir.resolve("missing.yaml");
    try {
      ConfigLoader.fromSystemEnv().load(missing);
      throw new AssertionError("a missing file loaded");
    } catch (ConfigException e) {
      assertThat(e.errors())
          .singleElement()
          .satisfies(
              err ->
                  assertThat(err.message()).isEqualTo("cannot read " + missing + ": no such file"));
    }
    // a directory is not a config file, and says so
    try {
      ConfigLoader.fromSystemEnv().load(dir);
      throw new AssertionError("a directory loaded");
    } catch (ConfigException e) {
      assertThat(e.errors())
          .singleElement()
          .satisfies(
              err ->
                  assertThat(err.message())
                      .startsWith("cannot read " + dir + ": ")
                      .isNotEqualTo("cannot read " + dir + ": " + dir));
    }
  }

  // ------------------------------------------------------------------ environment

  @Test
  void variablesAreReplacedFromTheEnvironment() throws Exception {
    BulwarkConfig cfg =
        load(
            """
        upstreams:
          users:
            targets:
              - url: "http://${BACKEND_HOST}:${BACKEND_PORT}"
                weight: ${WEIGHT}
        server:
          listen: "${LISTEN:-0.0.0.0:8080}"
          http2: ${H2}
        admin:
          token: "${BULWARK_ADMIN_TOKEN:-}"
        """,
            Map.of(
                "BACKEND_HOST", "10.1.2.3", "BACKEND_PORT", "9000", "WEIGHT", "7", "H2", "false"));

    assertThat(cfg.upstreams().get("users").targets())
        .containsExactly(new TargetConfig("http://10.1.2.3:9000", 7));
    assertThat(cfg.server().listen()).isEqualTo("0.0.0.0:8080");
    assertThat(cfg.server().http2()).isFalse();
    assertThat(cfg.admin().token()).isEmpty();
  }

  @Test
  void aDefaultAppliesWhenTheVariableIsUnsetOrEmptyButNotWhenSet() throws Exception {
    String yaml = "server:\n  listen: \"127.0.0.1:${PORT:-8080}\"\n";
    assertThat(load(yaml, Map.of()).server().listen()).isEqualTo("127.0.0.1:8080");
    assertThat(load(yaml, Map.of("PORT", "")).server().listen()).isEqualTo("127.0.0.1:8080");
    assertThat(load(yaml, Map.of("PORT", "9090")).server().listen()).isEqualTo("127.0.0.1:9090");
  }

  @Test
  void substitutedTextIsAValueNotYamlAndIsCheckedLikeAnyOther() throws Exception {
    assertThat(
            load("observability:\n  accessLog:\n    output: ${OUT}\n", Map.of("OUT", "[a, {b: c}]"))
                .observability()
                .accessLog()
                .output())
        .isEqualTo("[a, {b: c}]");
    assertThat(errors("server:\n  http2: ${H2}\n", Map.of("H2", "yes")))
        .containsExactly("server.http2: expected true or false, got 'yes'");
    assertThat(errors("server:\n  shutdown:\n    gracePeriod: ${GRACE:-30 seconds}\n"))
        .containsExactly(
            "server.shutdown.gracePeriod: '30 seconds' is not a duration (use 250ms, 5s, 1m or 1h)");
  }

  @Test
  void anUnsetVariableWithoutDefaultIsAnErrorAtItsPathAndOnlyThere() {
    assertThat(
            errors(
                """
        upstreams:
          users:
            targets:
              - url: "http://127.0.0.1:8081"
              - url: "${BACKEND}"
        server:
          shutdown:
            gracePeriod: ${GRACE}
        """))
        .containsExactly(
            "upstreams.users.targets[1].url: environment variable BACKEND is not set (write ${BACKEND:-default} to give a default)",
            "server.shutdown.gracePeriod: environment variable GRACE is not set (write ${GRACE:-default} to give a default)");
  }

  // ------------------------------------------------------------------ strict values

  static Stream<Arguments> badValues() {
    return Stream.of(
        Arguments.of(
            "server:\n  shutdown:\n    gracePeriod: 5 seconds\n",
            "server.shutdown.gracePeriod: '5 seconds' is not a duration (use 250ms, 5s, 1m or 1h)"),
        Arguments.of(
            "server:\n  limits:\n    requestHeaderTimeout: 10\n",
            "server.limits.requestHeaderTimeout: '10' is not a duration (use 250ms, 5s, 1m or 1h)"),
        Arguments.of(
            "server:\n  limits:\n    maxBodyBytes: 10MB\n",
            "server.limits.maxBodyBytes: '10MB' is not a size (use 512, 16KiB, 10MiB or 1GiB)"),
        Arguments.of(
            USERS + "    maxConnectionsPerTarget: abc\n",
            "upstreams.users.maxConnectionsPerTarget: expected a whole number, got 'abc'"),
        Arguments.of(
            "upstreams:\n  users:\n    targets: [ { url: \"http://h:1\", weight: 1.5 } ]\n",
            "upstreams.users.targets[0].weight: expected a whole number, got '1.5'"),
        Arguments.of(
            "upstreams:\n  users:\n    targets: [ { url: \"http://h:1\", weight: 0x10 } ]\n",
            "upstreams.users.targets[0].weight: expected a whole number, got '0x10'"),
        Arguments.of("server:\n  http2: yes\n", "server.http2: expected true or false, got 'yes'"),
        Arguments.of("server:\n  http2: off\n", "server.http2: expected true or false, got 'off'"),
        Arguments.of(
            "observability:\n  accessLog:\n    enabled: 1\n",
            "observability.accessLog.enabled: expected true or false, got '1'"),
        Arguments.of(
            "server:\n  listen: [a, b]\n", "server.listen: expected a single value, got a list"),
        Arguments.of(
            "admin:\n  listen: { host: a }\n",
            "admin.listen: expected a single value, got a mapping"),
        Arguments.of(
            USERS + "    balancer: [round_robin]\n",
            "upstreams.users.balancer: expected a single value, got a list"),
        Arguments.of("server: [a]\n", "server: expected a mapping of keys, got a list"),
        Arguments.of("routes: { name: x }\n", "routes: expected a list, got a mapping"),
        Arguments.of("upstreams: [x]\n", "upstreams: expected a mapping, got a list"),
        Arguments.of("- a\n- b\n", "expected a mapping of keys, got a list"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("badValues")
  void aValueInTheWrongFormatIsOneErrorWithItsFieldPath(String yaml, String expected) {
    assertThat(errors(yaml)).containsExactly(expected);
  }

  // ------------------------------------------------------------------ unknown keys

  @Test
  void anUnknownKeySuggestsTheClosestKnownOne() {
    assertThat(errors(USERS + "    balancr: least_request\n"))
        .containsExactly(
            "upstreams.users.balancr: unknown key 'balancr' (did you mean 'balancer'?)");
    assertThat(errors("server:\n  limits:\n    maxBodySize: 1MiB\n"))
        .containsExactly(
            "server.limits.maxBodySize: unknown key 'maxBodySize' (did you mean 'maxBodyBytes'?)");
  }

  @Test
  void anUnknownKeyFarFromAnyListsTheKnownOnes() {
    assertThat(errors("listeners: {}\n"))
        .containsExactly(
            "listeners: unknown key 'listeners' (known: server, admin, "
                + "observability, cluster, configSource, upstreams, middlewares, versioning, routes, groups, remediation)");
  }

  @Test
  void theKeyOfAFieldNamedLikeAJavaKeywordIsItsYamlName() {
    assertThat(errors("versioning:\n  vendor: example\n  defaultVersion: v1\n"))
        .containsExactly(
            "versioning.defaultVersion: unknown key 'defaultVersion' (known: vendor, default)",
            "versioning.default: required");
  }

  // ------------------------------------------------------------------ all errors, in order

  @Test
  void everyMistakeInAFileIsReportedInFileOrder() {
    String yaml =
        """
        server:
          listen: "0.0.0.0:80"
          http2: yes
          limits:
            maxBodyBytes: 10MB
        admin:
          token: "${ADMIN_TOKEN}"
        cluster:
          redis: http://127.0.0.1:6379
        upstreams:
          users:
            targets: [ { url: "http://10.0.0.1:8080", weight: abc } ]
            balancr: round_robin
            timeouts: { connect: 5 seconds }
        routes:
          - name: a
            match: { path: /a }
            upstream: user
          - name: a
            match: { path: /b }
            upstream: users
            middlewares: [auth]
        """;
    List<String> expected =
        List.of(
            "admin.token: environment variable ADMIN_TOKEN is not set (write ${ADMIN_TOKEN:-default} to give a default)",
            "server.http2: expected true or false, got 'yes'",
            "server.limits.maxBodyBytes: '10MB' is not a size (use 512, 16KiB, 10MiB or 1GiB)",
            "upstreams.users.balancr: unknown key 'balancr' (did you mean 'balancer'?)",
            "upstreams.users.targets[0].weight: expected a whole number, got 'abc'",
            "upstreams.users.timeouts.connect: '5 seconds' is not a duration (use 250ms, 5s, 1m or 1h)",
            "cluster.redis: 'http://127.0.0.1:6379' must look like redis://host:port",
            "routes[0].upstream: unknown upstream 'user' (did you mean 'users'?)",
            "routes[1].name: duplicate route name 'a' (first used at routes[0])",
            "routes[1].middlewares[0]: unknown middleware 'auth'");

    assertThat(errors(yaml)).containsExactlyElementsOf(expected);
    assertThat(errors(yaml))
        .as("a second load reports the same list")
        .containsExactlyElementsOf(expected);
  }

  @Test
  void requiredFieldsAreReportedTogether() {
    assertThat(
            errors(
                """
        upstreams:
          empty: {}
        routes:
          - name: r
        groups:
          - routes: [ { match: { path: /x }, upstream: empty } ]
        """))
        .containsExactly(
            "routes[0].match: required",
            "groups[0].prefix: required",
            "groups[0].routes[0].name: required",
            "upstreams.empty.targets: at least one target (or a discovery section) is required",
            "routes[0].upstream: required: set upstream, or backends for a weighted split");
  }

  // ------------------------------------------------------------------ cross-field checks

  @Test
  void routeNamesAreUniqueAcrossRoutesAndNestedGroups() {
    assertThat(
            errors(
                USERS
                    + """
        routes:
          - { name: a, match: { path: /a }, upstream: users }
        groups:
          - prefix: /g
            routes:
              - { name: b, match: { path: /b }, upstream: users }
              - { name: a, match: { path: /a }, upstream: users }
            groups:
              - prefix: /h
                routes:
                  - { name: b, match: { path: /b }, upstream: users }
        """))
        .containsExactly(
            "groups[0].routes[1].name: duplicate route name 'a' (first used at routes[0])",
            "groups[0].groups[0].routes[0].name: duplicate route name 'b' (first used at groups[0].routes[0])");
  }

  @Test
  void logFormatIsAutoJsonOrTextAndAutoByDefault() throws Exception {
    assertThat(load(USERS).observability().logFormat()).isEqualTo(LogFormat.AUTO);
    assertThat(load(USERS + "observability:\n  logFormat: text\n").observability().logFormat())
        .isEqualTo(LogFormat.TEXT);
    assertThat(load(USERS + "observability:\n  logFormat: json\n").observability().logFormat())
        .isEqualTo(LogFormat.JSON);
    assertThat(errors(USERS + "observability:\n  logFormat: pretty\n"))
        .containsExactly("observability.logFormat: 'pretty' must be auto, json or text");
  }

  @Test
  void hashOnIsAnErrorWithABalancerOtherThanConsistentHash() throws Exception {
    assertThat(errors(USERS + "    hashOn: header:X-User-Id\n"))
        .containsExactly(
            "upstreams.users.hashOn: is only used by balancer consistent_hash, and this upstream's balancer is round_robin: "
                + "set balancer: consistent_hash or remove hashOn");
    assertThat(errors(USERS + "    balancer: least_request\n    hashOn: client_ip\n"))
        .containsExactly(
            "upstreams.users.hashOn: is only used by balancer consistent_hash, and this upstream's balancer is least_request: "
                + "set balancer: consistent_hash or remove hashOn");
    // a bad key or an unknown balancer is reported once, not twice
    assertThat(errors(USERS + "    balancer: consistent_hash\n    hashOn: body\n"))
        .containsExactly(
            "upstreams.users.hashOn: 'body' must be client_ip, path, header:NAME or cookie:NAME");
    assertThat(errors(USERS + "    balancer: sticky\n    hashOn: path\n"))
        .singleElement()
        .asString()
        .startsWith("upstreams.users.balancer: unknown balancer 'sticky'");
    assertThat(
            load(USERS + "    balancer: consistent_hash\n    hashOn: cookie:s\n")
                .upstreams()
                .get("users")
                .hashOn())
        .isEqualTo("cookie:s");
    // absent, consistent_hash hashes on the client address
    assertThat(load(USERS + "    balancer: consistent_hash\n").upstreams().get("users").hashOn())
        .isNull();
  }

  @Test
  void anUnknownUpstreamSuggestsTheClosestName() {
    assertThat(
            errors(
                """
        upstreams:
          users: { targets: [ { url: "http://127.0.0.1:8081" } ] }
          orders: { targets: [ { url: "http://127.0.0.1:8082" } ] }
        routes:
          - { name: a, match: { path: /a }, upstream: users }
          - { name: b, match: { path: /b }, upstream: orders }
          - { name: c, match: { path: /c }, upstream: user }
          - { name: d, match: { path: /d }, upstream: billing }
        """))
        .containsExactly(
            "routes[2].upstream: unknown upstream 'user' (did you mean 'users'?)",
            "routes[3].upstream: unknown upstream 'billing' (known: users, orders)");
  }

  @Test
  void unknownMiddlewaresAreErrorsOnRoutesAndOnGroups() {
    assertThat(
            errors(
                USERS
                    + """
        middlewares:
          auth: { headers: { request: { set: { X-Auth: "1" } } } }
          tag: { headers: { response: { remove: [Server] } } }
        routes:
          - { name: a, match: { path: /a }, upstream: users, middlewares: [tag, auht] }
        groups:
          - prefix: /g
            middlewares: [tagg]
            routes:
              - { name: b, match: { path: /b }, upstream: users }
        """))
        .containsExactly(
            "groups[0].middlewares[0]: unknown middleware 'tagg' (did you mean 'tag'?)",
            "routes[0].middlewares[1]: unknown middleware 'auht' (did you mean 'auth'?)");
  }

  @Test
  void aMiddlewareNeedsATypeKeyAndAnAbsentOneStaysUnset() throws Exception {
    assertThat(errors("middlewares:\n  nothing: {}\n"))
        .containsExactly(
            "middlewares.nothing: a middleware needs exactly one type key (known: headers, rateLimit, jwt, introspection, apiKey, basicAuth, cors, ipRules, fault, redirect, compression)");
    assertThat(
            errors(
                "middlewares:\n  auth:\n    headers: { request: { remove: [Cookie] } }\n    jwt: { keys: x, algorithms: [RS256] }\n"))
        .containsExactly(
            "middlewares.auth: a middleware needs exactly one type key, this one has 2");
    MiddlewareConfig tag =
        load("middlewares:\n  tag:\n    headers: { response: { remove: [Server] } }\n")
            .middlewares()
            .get("tag");
    assertThat(tag.headers().response().remove()).containsExactly("Server");
    assertThat(tag.headers().request()).isEqualTo(new HeaderOps(Map.of(), Map.of(), List.of()));
  }

  @Test
  void jwtAndIntrospectionAreValidatedWithPaths() {
    assertThat(
            errors(
                """
        middlewares:
          a:
            jwt: { algorithms: [RS256, none, RS265], token: "form:x", allow: [users], clientRule: "claim:gty", forwardClaims: { sub: "X User" } }
          b:
            jwt: { keys: x, jwksUrl: "ftp://h/jwks", algorithms: [] }
          c:
            introspection: { endpoint: "not a url", clientId: gw, onFailure: maybe, maxCacheEntries: 0 }
          d:
            jwt: { keysFile: /nonexistent/keys.pem, algorithms: [ES256] }
        """))
        .containsExactly(
            "middlewares.a.jwt: a jwt middleware needs exactly one of jwksUrl, keys, keysFile",
            "middlewares.a.jwt.algorithms[1]: 'none' (unsigned tokens) is never accepted",
            "middlewares.a.jwt.algorithms[2]: unknown algorithm 'RS265' (did you mean 'RS256'?)",
            "middlewares.a.jwt.token: 'form:x' must be header, cookie:NAME or query:NAME",
            "middlewares.a.jwt.allow[0]: 'users' must be user or client",
            "middlewares.a.jwt.clientRule: 'claim:gty' must be auto or claim:NAME=VALUE",
            "middlewares.a.jwt.forwardClaims.sub: 'X User' is not a valid header name",
            "middlewares.b.jwt: a jwt middleware needs exactly one of jwksUrl, keys, keysFile",
            "middlewares.b.jwt.jwksUrl: 'ftp://h/jwks' must be an http:// or https:// URL",
            "middlewares.b.jwt.algorithms: at least one algorithm is required",
            "middlewares.c.introspection.endpoint: 'not a url' is not a URL",
            "middlewares.c.introspection.clientSecret: clientId and clientSecret are set together",
            "middlewares.c.introspection.maxCacheEntries: must be at least 1",
            "middlewares.c.introspection.onFailure: 'maybe' must be open or closed",
            "middlewares.d.jwt.keysFile: cannot read '/nonexistent/keys.pem'");
  }

  @Test
  void aRewritePlaceholderMustBeAParameterOfTheFullPath() throws Exception {
    assertThat(
            errors(
                USERS
                    + """
        routes:
          - name: a
            match: { path: "/users/{id}" }
            upstream: users
            rewrite: "/u/{uid}"
          - name: b
            match: { path: "/b" }
            upstream: users
            rewrite: "b/{x}"
        """))
        .containsExactly(
            "routes[0].rewrite: placeholder {uid} is not a parameter of match.path (did you mean 'id'?)",
            "routes[1].rewrite: 'b/{x}' must start with /");

    // a parameter of an enclosing group's prefix counts
    BulwarkConfig cfg =
        load(
            USERS
                + """
        groups:
          - prefix: "/tenants/{tenant}"
            routes:
              - name: a
                match: { path: "/users/{id}" }
                upstream: users
                rewrite: "/{tenant}/users/{id}"
        """);
    assertThat(FlatRoute.flatten(cfg))
        .singleElement()
        .satisfies(fr -> assertThat(fr.pattern()).isEqualTo("/tenants/{tenant}/users/{id}"));
  }

  @Test
  void aRouteVersionNeedsTheVersioningSection() {
    assertThat(
            errors(
                USERS
                    + "routes:\n  - { name: a, match: { path: /a }, upstream: users, version: v2 }\n"))
        .containsExactly(
            "routes[0].version: a route version needs the top-level versioning section");
  }

  // ------------------------------------------------------------------ later capabilities

  @Test
  void noFieldIsLeftForALaterCapability() {
    Set<String> declared = new TreeSet<>();
    for (ConfigDocs.Section s : ConfigDocs.sections()) {
      for (var rc : s.type().getRecordComponents()) {
        Doc d = rc.getAnnotation(Doc.class);
        if (!d.later().isEmpty()) declared.add(Binder.keyOf(rc) + "=" + d.later());
      }
    }
    assertThat(declared).isEmpty();
  }

  // ------------------------------------------------------------------ admin

  @ParameterizedTest
  @ValueSource(
      strings = {
        "0.0.0.0:9901",
        "10.1.2.3:9901",
        "[::]:9901",
        "admin.internal:9901",
        "127.example.com:9901"
      })
  void aNonLoopbackAdminListenerNeedsATokenOfAtLeast32Characters(String listen) throws Exception {
    String message =
        "admin.token: the admin listener "
            + HostPort.parse(listen)
            + " is not on a loopback address, so a token of at least 32 characters is required (set admin.token, or write token: "
            + "\"${BULWARK_ADMIN_TOKEN}\" to take it from the environment variable BULWARK_ADMIN_TOKEN)";
    assertThat(errors("admin:\n  listen: \"" + listen + "\"\n")).containsExactly(message);
    assertThat(
            errors(
                "admin:\n  listen: \""
                    + listen
                    + "\"\n  token: \""
                    + TOKEN_32.substring(1)
                    + "\"\n"))
        .containsExactly(message);

    assertThat(
            load("admin:\n  listen: \"" + listen + "\"\n  token: \"${T}\"\n", Map.of("T", TOKEN_32))
                .admin()
                .token())
        .isEqualTo(TOKEN_32);
    // the hint does what it says: the line it suggests, with the variable set, loads
    String suggested =
        message.substring(message.indexOf("write ") + 6, message.indexOf(" to take it"));
    assertThat(
            load(
                    "admin:\n  listen: \"" + listen + "\"\n  " + suggested + "\n",
                    Map.of("BULWARK_ADMIN_TOKEN", TOKEN_32))
                .admin()
                .token())
        .isEqualTo(TOKEN_32);
    // and nothing reads the variable behind the config's back
    assertThat(
            errors(
                "admin:\n  listen: \"" + listen + "\"\n", Map.of("BULWARK_ADMIN_TOKEN", TOKEN_32)))
        .containsExactly(message);
  }

  @Test
  void theReadTokenFollowsTheTokenRulesAndIsNeverPrinted() throws Exception {
    String read = "read-only-token-0123456789abcdef-xyz";
    AdminConfig a =
        load("admin:\n  listen: \"0.0.0.0:9901\"\n  token: \""
                + TOKEN_32
                + "\"\n  readToken: \""
                + read
                + "\"\n")
            .admin();
    assertThat(a.readToken()).isEqualTo(read);
    assertThat(a.toString()).doesNotContain(read).doesNotContain(TOKEN_32).contains("[REDACTED]");
    assertThat(
            errors(
                "admin:\n  listen: \"0.0.0.0:9901\"\n  token: \""
                    + TOKEN_32
                    + "\"\n  readToken: short\n"))
        .singleElement()
        .asString()
        .startsWith(
            "admin.readToken: the admin listener 0.0.0.0:9901 is not on a loopback address, so readToken needs at least 32 characters");
    // a read token alone does not open a remote listener: the full token is still required
    assertThat(errors("admin:\n  listen: \"0.0.0.0:9901\"\n  readToken: \"" + read + "\"\n"))
        .singleElement()
        .asString()
        .startsWith("admin.token: ");
    assertThat(errors("admin:\n  token: \"" + TOKEN_32 + "\"\n  readToken: \"" + TOKEN_32 + "\"\n"))
        .containsExactly(
            "admin.readToken: must differ from admin.token (a read-only token that equals the full one grants everything)");
    assertThat(errors("admin:\n  readToken: \"has a space\"\n"))
        .containsExactly(
            "admin.readToken: must be printable ASCII without spaces (it is sent as a bearer token)");
  }

  @Test
  void allowedHostsAreHostNamesOrAddressesWithoutPorts() throws Exception {
    assertThat(
            load("admin:\n  allowedHosts: [bulwark-admin.internal, 10.0.0.5, \"[fd00::1]\", \"::1\"]\n")
                .admin()
                .allowedHosts())
        .containsExactly("bulwark-admin.internal", "10.0.0.5", "[fd00::1]", "::1");
    assertThat(errors("admin:\n  allowedHosts: [\"evil.example:9901\", \"*.example.com\", \"\"]\n"))
        .containsExactly(
            "admin.allowedHosts[0]: 'evil.example:9901' is not a host name or address (no port, no wildcard)",
            "admin.allowedHosts[1]: '*.example.com' is not a host name or address (no port, no wildcard)",
            "admin.allowedHosts[2]: '' is not a host name or address (no port, no wildcard)");
  }

  @Test
  void headerListsAreHeaderNames() {
    assertThat(
            errors(
                "server:\n  stripHeaders: [X-Original-URL, \"bad name\"]\n  proxyOnlyHeaders: [\"X:Y\"]\n"))
        .containsExactly(
            "server.stripHeaders[1]: 'bad name' is not a header name",
            "server.proxyOnlyHeaders[0]: 'X:Y' is not a header name");
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1:9901", "127.0.0.2:19901", "localhost:9901", "[::1]:9901"})
  void aLoopbackAdminListenerNeedsNoToken(String listen) throws Exception {
    assertThat(load("admin:\n  listen: \"" + listen + "\"\n").admin().listen()).isEqualTo(listen);
  }

  // ------------------------------------------------------------------ the YAML itself

  @Test
  void aDuplicateKeyIsAnError() {
    assertThat(
            errors(
                "server:\n  listen: \"127.0.0.1:1\"\n  http2: true\n  listen: \"127.0.0.1:2\"\n"))
        .singleElement()
        .satisfies(
            e -> assertThat(e).startsWith("line 4, column").contains("Duplicate field 'listen'"));
    // an upstream defined twice must not silently replace the first
    assertThat(
            errors(
                """
        upstreams:
          users: { targets: [ { url: "http://127.0.0.1:8081" } ] }
          users: { targets: [ { url: "http://127.0.0.1:9999" } ] }
        """))
        .singleElement()
        .satisfies(e -> assertThat(e).startsWith("line 3,").contains("Duplicate field 'users'"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   \n\n", "# only a comment\n", "---\n"})
  void anEmptyFileIsAnError(String yaml) {
    assertThat(errors(yaml)).containsExactly("the config file is empty");
  }

  @Test
  void brokenYamlAndSeveralDocumentsAreErrors() {
    assertThat(errors("server: [unclosed\n"))
        .singleElement()
        .satisfies(e -> assertThat(e).matches("(?s)line \\d+, column \\d+: invalid YAML: .*"));
    assertThat(errors("server: {}\n---\nadmin: {}\n"))
        .singleElement()
        .satisfies(e -> assertThat(e).contains("invalid YAML: more than one YAML document"));
  }

  @Test
  void theEnvironmentFunctionIsAskedOnlyForReferencedNames() throws Exception {
    Map<String, Integer> asked = new HashMap<>();
    new ConfigLoader(
            name -> {
              asked.merge(name, 1, Integer::sum);
              return null;
            })
        .parse("server:\n  listen: \"${HOST:-127.0.0.1}:${PORT:-8080}\"\n");
    assertThat(asked).containsOnlyKeys("HOST", "PORT");
  }

  @Test
  void theReloadSettleAndTheDrainWindowAreBoundAndChecked() throws Exception {
    BulwarkConfig cfg =
        load(
            "server: { reloadSettle: 250ms, shutdown: { gracePeriod: 2s, drainWindow: 10s } }\n"
                + USERS);
    assertThat(cfg.server().reloadSettle()).isEqualTo(Duration.ofMillis(250));
    assertThat(cfg.server().shutdown().drainWindow())
        .isEqualTo(Duration.ofSeconds(10)); // cut to gracePeriod when draining
    assertThat(errors("server: { reloadSettle: 2m, shutdown: { drainWindow: soon } }\n" + USERS))
        .contains("server.reloadSettle: must be at most 1m")
        .anySatisfy(
            e -> assertThat(e).startsWith("server.shutdown.drainWindow: 'soon' is not a duration"));
  }

  @Test
  void theWarmupIsBoundAndChecked() throws Exception {
    assertThat(load("server: { warmup: 250ms }\n" + USERS).server().warmup())
        .isEqualTo(Duration.ofMillis(250));
    assertThat(load("server: { warmup: 0s }\n" + USERS).server().warmup()).isZero();
    assertThat(errors("server: { warmup: 2m }\n" + USERS))
        .contains("server.warmup: must be between 0s and 1m");
    assertThat(errors("server: { warmup: soon }\n" + USERS))
        .anySatisfy(e -> assertThat(e).startsWith("server.warmup: 'soon' is not a duration"));
  }
}
