package bulwark.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.ConfigError;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ErrorKeysTest {
  private final ErrorKeys keys =
      new ErrorKeys(
          new ResourceLayout("/p"),
          List.of("a", "b"),
          List.of("api"),
          Set.of("users", "users.v2"),
          Set.of("auth"));

  private String map(String path) {
    return keys.map(new ConfigError(path, "bad")).toString();
  }

  @Test
  void pathsIntoOneResourceNameItsKey() {
    assertThat(map("routes[1].match.path")).isEqualTo("/p/routes/b: match.path: bad");
    assertThat(map("routes[0]")).isEqualTo("/p/routes/a: bad");
    assertThat(map("groups[0].groups[1].routes[0].upstream"))
        .isEqualTo("/p/groups/api: groups[1].routes[0].upstream: bad");
    assertThat(map("upstreams.users.v2.targets[0].url"))
        .isEqualTo("/p/upstreams/users.v2: targets[0].url: bad");
    assertThat(map("upstreams.users.balancer")).isEqualTo("/p/upstreams/users: balancer: bad");
    assertThat(map("middlewares.auth")).isEqualTo("/p/middlewares/auth: bad");
    assertThat(map("remediation.rules[0].upstream"))
        .isEqualTo("/p/settings: remediation.rules[0].upstream: bad");
  }

  @Test
  void otherPathsAreKept() {
    assertThat(map("server.port")).isEqualTo("server.port: bad");
    assertThat(map("routes[2].upstream")).isEqualTo("routes[2].upstream: bad");
    assertThat(map("routes")).isEqualTo("routes: bad");
    assertThat(map("upstreams.nope.targets")).isEqualTo("upstreams.nope.targets: bad");
    assertThat(map("")).isEqualTo("bad");
  }
}
