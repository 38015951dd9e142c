package bulwark.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import bulwark.config.ConfigError;
import bulwark.config.ConfigException;
import bulwark.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway whose routing config is in etcd does not start when etcd cannot be read (there is no
 * cache file): the error names the endpoints, instead of a gateway starting with no routes.
 */
class EtcdUnreachableTest {
  @Test
  void anUnreachableEtcdIsRefusedAtStart(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("bulwark.yaml");
    Files.writeString(
        f,
        """
        server: { listen: "127.0.0.1:0" }
        admin: { listen: "127.0.0.1:0" }
        configSource:
          type: etcd
          etcd: { endpoints: ["http://127.0.0.1:1"], prefix: /bulwark }
        """);
    assertThatThrownBy(() -> Gateway.start(f, new ConfigLoader(k -> null), false))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.errors())
                    .extracting(ConfigError::path)
                    .containsExactly("configSource.etcd.endpoints"));
  }

  @Test
  void theErrorNamesTheMissingCacheFile(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("bulwark.yaml");
    Path cache = dir.resolve("no-such-cache.yaml");
    Files.writeString(
        f,
        """
        server: { listen: "127.0.0.1:0" }
        admin: { listen: "127.0.0.1:0" }
        configSource:
          type: etcd
          etcd: { endpoints: ["http://127.0.0.1:1"], prefix: /bulwark, cacheFile: "%s" }
        """
            .formatted(cache.toString().replace("\\", "/")));
    assertThatThrownBy(() -> Gateway.start(f, new ConfigLoader(k -> null), false))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.errors())
                    .singleElement()
                    .satisfies(
                        err -> {
                          assertThat(err.path()).isEqualTo("configSource.etcd.endpoints");
                          assertThat(err.message())
                              .contains("cannot read /bulwark from etcd")
                              .contains("and no cache file at " + cache.toAbsolutePath());
                        }));
  }

  @Test
  void anUnusableCacheFileIsNamedInTheError(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("bulwark.yaml");
    Path cache = dir.resolve("cache.yaml");
    Files.writeString(
        cache, "# revision: 7\nroutes: [ { match: { path: /x/** }, upstream: nope } ]\n");
    Files.writeString(
        f,
        """
        server: { listen: "127.0.0.1:0" }
        admin: { listen: "127.0.0.1:0" }
        configSource:
          type: etcd
          etcd: { endpoints: ["http://127.0.0.1:1"], prefix: /bulwark, cacheFile: "%s" }
        """
            .formatted(cache.toString().replace("\\", "/")));
    assertThatThrownBy(() -> Gateway.start(f, new ConfigLoader(k -> null), false))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.errors())
                    .singleElement()
                    .satisfies(
                        err ->
                            assertThat(err.message())
                                .contains("the cache file " + cache.toAbsolutePath())
                                .contains("nope")));
  }
}
