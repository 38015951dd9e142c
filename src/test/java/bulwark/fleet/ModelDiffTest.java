package bulwark.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelDiffTest {
  private static final ObjectMapper M = new ObjectMapper();

  private static JsonNode j(String json) throws Exception {
    return M.readTree(json);
  }

  @Test
  void aChangedResourceShowsItsChangedFieldsAndSecretsAreRedacted() throws Exception {
    JsonNode before =
        j("{\"targets\":[{\"url\":\"http://a\",\"weight\":1}],\"balancer\":\"round_robin\"}");
    JsonNode after =
        j("{\"targets\":[{\"url\":\"http://a\",\"weight\":3}],\"timeouts\":{\"connect\":\"1s\"}}");
    assertThat(TreeDiff.of(before, after))
        .containsExactly(
            "targets[0].weight: 1 -> 3", "- balancer: round_robin", "+ timeouts: {connect: 1s}");
    assertThat(
            TreeDiff.of(
                j("{\"introspection\":{\"clientSecret\":\"s1\"}}"),
                j("{\"introspection\":{\"clientSecret\":\"s2\"}}")))
        .containsExactly("introspection.clientSecret: [REDACTED] -> [REDACTED]")
        .noneMatch(l -> l.contains("s1") || l.contains("s2"));
  }

  @Test
  void resourcesOnlyInEtcdAreKeptUnlessPruned() throws Exception {
    Map<String, Map<String, JsonNode>> etcd =
        Map.of(
            "routes", Map.of("a", j("{\"name\":\"a\"}"), "old", j("{\"name\":\"old\"}")),
            "upstreams", Map.of("u", j("{\"targets\":[]}")));
    Map<String, Map<String, JsonNode>> file =
        Map.of(
            "routes",
            Map.of("a", j("{\"name\":\"a\",\"upstream\":\"u\"}"), "new", j("{\"name\":\"new\"}")),
            "upstreams",
            Map.of("u", j("{\"targets\":[]}")));
    ModelDiff keep = ModelDiff.of(etcd, file, false);
    assertThat(keep.render())
        .contains("~ routes/a\n    + upstream: u\n", "+ routes/new\n", "= routes/old")
        .contains("1 to add, 1 to change, 0 to remove, 1 kept (not pruned)")
        .doesNotContain("upstreams/u");
    ModelDiff prune = ModelDiff.of(etcd, file, true);
    assertThat(prune.render()).contains("- routes/old\n", "1 to remove");
    assertThat(ModelDiff.of(file, file, true).empty()).isTrue();
    assertThat(ModelDiff.of(Map.of(), Map.of("routes", Map.of()), true).empty()).isTrue();
  }
}
