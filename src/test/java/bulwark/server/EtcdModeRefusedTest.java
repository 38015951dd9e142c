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
 * Until the etcd config source is wired in, a bootstrap file that selects it is refused with its
 * field path, instead of starting a gateway with no routes.
 */
class EtcdModeRefusedTest {
  @Test
  void aFileThatSelectsEtcdIsRefusedAtStart(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("bulwark.yaml");
    Files.writeString(
        f,
        """
        server: { listen: "127.0.0.1:0" }
        admin: { listen: "127.0.0.1:0" }
        configSource:
          type: etcd
          etcd: { endpoints: ["http://127.0.0.1:2379"], prefix: /bulwark }
        """);
    assertThatThrownBy(() -> Gateway.start(f, new ConfigLoader(k -> null), false))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.errors())
                    .extracting(ConfigError::path)
                    .containsExactly("configSource.type"));
  }
}
