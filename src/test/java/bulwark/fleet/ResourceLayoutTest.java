package bulwark.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import bulwark.fleet.ResourceLayout.Ignored;
import bulwark.fleet.ResourceLayout.Invalid;
import bulwark.fleet.ResourceLayout.Resource;
import org.junit.jupiter.api.Test;

class ResourceLayoutTest {
  private final ResourceLayout layout = new ResourceLayout("/bw/prod/");

  @Test
  void keysAndResourcesMapBothWays() {
    assertThat(layout.prefix()).isEqualTo("/bw/prod");
    for (String kind : ResourceKinds.NAMED) {
      String key = layout.key(kind, "orders-v2.x");
      assertThat(key).isEqualTo("/bw/prod/" + kind + "/orders-v2.x");
      assertThat(layout.parse(key)).isEqualTo(new Resource(kind, "orders-v2.x"));
    }
    assertThat(layout.key(ResourceKinds.SETTINGS, null)).isEqualTo("/bw/prod/settings");
    assertThat(layout.parse("/bw/prod/settings"))
        .isEqualTo(new Resource(ResourceKinds.SETTINGS, ResourceKinds.SETTINGS));
    assertThat(layout.rangePrefix()).isEqualTo("/bw/prod/");
    assertThat(layout.kindPrefix("routes")).isEqualTo("/bw/prod/routes/");
  }

  @Test
  void nodesMetaAndKeysOutsideThePrefixAreNotConfig() {
    assertThat(layout.parse("/bw/prod/nodes/gw-1")).isInstanceOf(Ignored.class);
    assertThat(layout.parse("/bw/prod/meta/writes")).isInstanceOf(Ignored.class);
    assertThat(layout.parse("/bw/prodx/routes/a")).isInstanceOf(Ignored.class);
    assertThat(layout.parse("/other/routes/a")).isInstanceOf(Ignored.class);
  }

  @Test
  void anUnknownKindOrABadNameIsAnErrorNamingTheKey() {
    assertThat(layout.parse("/bw/prod/rotues/a"))
        .isInstanceOfSatisfying(
            Invalid.class,
            i -> {
              assertThat(i.key()).isEqualTo("/bw/prod/rotues/a");
              assertThat(i.toString())
                  .startsWith("/bw/prod/rotues/a: unknown kind 'rotues'")
                  .contains("upstreams, middlewares, routes, groups, settings");
            });
    assertThat(layout.parse("/bw/prod/routes/a/b").toString())
        .isEqualTo("/bw/prod/routes/a/b: routes name 'a/b' must not contain '/'");
    assertThat(layout.parse("/bw/prod/routes/").toString())
        .isEqualTo("/bw/prod/routes/: routes name is empty");
    assertThat(layout.parse("/bw/prod/upstreams").toString())
        .startsWith("/bw/prod/upstreams: expected /bw/prod/upstreams/<name>");
    assertThat(layout.parse("/bw/prod/settings/x")).isInstanceOf(Invalid.class);
    assertThatThrownBy(() -> layout.key("routes", "a/b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'a/b' must not contain '/'");
    assertThatThrownBy(() -> layout.key("rotues", "a"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown kind 'rotues'");
  }
}
