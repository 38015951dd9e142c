package bulwark.config;

import static bulwark.config.ConfigTesting.USERS;
import static bulwark.config.ConfigTesting.errors;
import static bulwark.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConfigSourceConfigTest {
  private static final String ETCD =
      """
      configSource:
        type: etcd
        etcd:
          endpoints: ["http://127.0.0.1:2379", "https://etcd-2.internal:2379"]
          prefix: /bulwark/prod
          username: gw
          password: secret
          cacheFile: /tmp/bulwark-cache.json
      """;

  @Test
  void fileIsTheDefault() throws Exception {
    BulwarkConfig c = load(USERS);
    assertThat(c.configSource()).isNull();
    assertThat(c.etcdMode()).isFalse();
  }

  @Test
  void etcdModeBindsItsSectionWithDefaults() throws Exception {
    BulwarkConfig c = load(ETCD);
    assertThat(c.etcdMode()).isTrue();
    EtcdConfig e = c.configSource().etcd();
    assertThat(e.endpoints()).hasSize(2);
    assertThat(e.prefix()).isEqualTo("/bulwark/prod");
    assertThat(e.dialTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(e.tls()).isNull();
    assertThat(e.toString()).doesNotContain("secret");
    assertThat(c.routes()).isEmpty();
    assertThat(c.upstreams()).isEmpty();
  }

  @Test
  void aRoutingSectionInTheFileIsAnErrorPerSection() {
    assertThat(errors(ETCD + USERS + "routes: []\nversioning: { vendor: acme, default: \"1\" }\n"))
        .anySatisfy(e -> assertThat(e).startsWith("upstreams: configSource.type is etcd"))
        .anySatisfy(e -> assertThat(e).startsWith("routes: configSource.type is etcd"))
        .anySatisfy(e -> assertThat(e).startsWith("versioning: configSource.type is etcd"))
        .allSatisfy(e -> assertThat(e).contains("comes from etcd"));
  }

  @Test
  void everyEtcdErrorHasItsPath() {
    assertThat(
            errors(
                """
                configSource:
                  type: etcdd
                """))
        .containsExactly("configSource.type: 'etcdd' must be file or etcd");
    assertThat(
            errors(
                """
                configSource:
                  type: etcd
                  etcd:
                    endpoints: ["127.0.0.1:2379", "http://h", "ftp://h:1", "http://h:2379/v3"]
                    prefix: bulwark/
                    username: gw
                    dialTimeout: 0s
                    tls: { cert: /nonexistent.pem }
                """))
        .containsExactlyInAnyOrder(
            "configSource.etcd.endpoints[0]: '127.0.0.1:2379' must be http://host:port or https://host:port",
            "configSource.etcd.endpoints[1]: 'http://h' must be http://host:port or https://host:port",
            "configSource.etcd.endpoints[2]: 'ftp://h:1' must be http://host:port or https://host:port",
            "configSource.etcd.endpoints[3]: 'http://h:2379/v3' must be http://host:port or https://host:port",
            "configSource.etcd.prefix: 'bulwark/' must start with / and not end with / (e.g. /bulwark/prod)",
            "configSource.etcd.password: username and password go together: set both or neither",
            "configSource.etcd.dialTimeout: must be above 0",
            "configSource.etcd.tls.key: cert and key go together");
    assertThat(errors("configSource: { type: etcd, etcd: { prefix: /p } }\n"))
        .containsExactly("configSource.etcd.endpoints: at least one endpoint is required");
  }

  @Test
  void aNodeIdIsOneKey() throws Exception {
    String e = "configSource: { type: etcd, etcd: { endpoints: [\"http://h:1\"], nodeId: %s } }\n";
    assertThat(load(e.formatted("gw-1")).configSource().etcd().nodeId()).isEqualTo("gw-1");
    assertThat(errors(e.formatted("\"a/b\"")))
        .containsExactly(
            "configSource.etcd.nodeId: 'a/b' must hold no / and no leading or trailing space (it is one key under <prefix>/nodes/)");
  }

  @Test
  void aGroupMayHaveAName() throws Exception {
    BulwarkConfig c =
        load(
            USERS
                + """
                groups:
                  - name: api
                    prefix: /api
                    routes:
                      - { name: r, match: { path: /x }, upstream: users }
                """);
    assertThat(c.groups()).extracting(GroupConfig::name).containsExactly("api");
  }
}
