package bulwark.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import bulwark.config.BulwarkConfig;
import bulwark.config.ConfigException;
import bulwark.config.ConfigLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ApplyPlanTest {
  private static final ResourceLayout LAYOUT = new ResourceLayout("/p");
  private static final ConfigLoader LOADER = new ConfigLoader(k -> null);

  private static KeyValue kv(String key, String value, long rev) {
    return new KeyValue(key, value.getBytes(StandardCharsets.UTF_8), rev, rev, 1, 0);
  }

  private static final String SVC = "targets: [ { url: \"http://127.0.0.1:9001\" } ]";

  /** etcd at revision 10: an upstream, two routes, a node and the guard key. */
  private static RangeResult read(KeyValue... more) {
    List<KeyValue> kvs =
        new ArrayList<>(
            List.of(
                kv("/p/upstreams/svc", SVC, 3),
                kv("/p/routes/a", "{match: {path: /a}, upstream: svc}", 4),
                kv("/p/routes/b", "{match: {path: /b}, upstream: svc}", 5),
                kv("/p/nodes/gw-1", "{}", 9),
                kv("/p/meta/writes", "{}", 7)));
    kvs.addAll(List.of(more));
    return new RangeResult(10, kvs);
  }

  private static BulwarkConfig file(String routes) throws ConfigException {
    return LOADER.parse("upstreams:\n  svc: { " + SVC + " }\nroutes:\n" + routes);
  }

  @Test
  void everyKeyReadThatThePlanDoesNotWriteIsComparedAtItsModRevision() throws Exception {
    ApplyPlan plan =
        ApplyPlan.of(
            read(),
            LAYOUT,
            file("  - { name: a, match: { path: /a }, upstream: svc, timeout: 2s }\n"),
            false);
    assertThat(plan.ops())
        .singleElement()
        .isInstanceOfSatisfying(TxnOp.Put.class, p -> assertThat(p.key()).isEqualTo("/p/routes/a"));
    assertThat(plan.compares())
        .containsAll(new WriteGuard(LAYOUT, 10).compares())
        .contains(Compare.modRevision("/p/upstreams/svc", 3), Compare.modRevision("/p/routes/b", 5))
        .noneMatch(c -> c.key().equals("/p/routes/a") && c.rangeEnd() == null)
        .noneMatch(c -> c.key().startsWith("/p/nodes/"))
        .hasSize(new WriteGuard(LAYOUT, 10).compares().size() + 2);
    assertThat(plan.render())
        .contains("~ routes/a\n    + timeout: 2s\n")
        .contains("= routes/b  (in etcd, not in the file: kept");
  }

  @Test
  void pruneDeletesWhatTheFileLacksAndKeysThatAreNoConfig() throws Exception {
    ApplyPlan plan =
        ApplyPlan.of(
            read(kv("/p/routes/junk", "match: {path: [", 8), kv("/p/routs/typo", "{}", 8)),
            LAYOUT,
            file("  - { name: a, match: { path: /a }, upstream: svc }\n"),
            true);
    assertThat(plan.ops())
        .containsExactlyInAnyOrder(
            TxnOp.Delete.of("/p/routes/b"),
            TxnOp.Delete.of("/p/routes/junk"),
            TxnOp.Delete.of("/p/routs/typo"));
    assertThat(plan.render())
        .contains("- /p/routes/junk  (not valid config: ")
        .contains("- /p/routs/typo  (not valid config: unknown kind 'routs'")
        .contains("- routes/b\n");
    // the file's resources in etcd are unchanged (stored in another spelling): compared, not put
    assertThat(plan.compares())
        .contains(
            Compare.modRevision("/p/upstreams/svc", 3), Compare.modRevision("/p/routes/a", 4));
  }

  @Test
  void aResourceWhoseStoredValueIsInvalidIsPutOverWhenTheFileHasIt() throws Exception {
    ApplyPlan plan =
        ApplyPlan.of(
            read(kv("/p/routes/c", "match: {path: [", 8)),
            LAYOUT,
            file("  - { name: c, match: { path: /c }, upstream: svc }\n"),
            false);
    assertThat(plan.ops())
        .singleElement()
        .isInstanceOfSatisfying(TxnOp.Put.class, p -> assertThat(p.key()).isEqualTo("/p/routes/c"));
    assertThat(plan.render()).contains("+ routes/c\n").doesNotContain("not valid config");
  }

  @Test
  void aResultThatDoesNotValidateWithWhatEtcdKeepsIsRefusedWithTheKey() throws Exception {
    RangeResult r = read(kv("/p/routes/x", "{match: {path: /x}, upstream: gone}", 8));
    BulwarkConfig f = file("  - { name: a, match: { path: /a }, upstream: svc }\n");
    assertThatThrownBy(() -> ApplyPlan.of(r, LAYOUT, f, false))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.errors().toString())
                    .contains("/p/routes/x: upstream: unknown upstream 'gone'"));
    // with prune it is deleted, so the result is the file alone
    assertThat(ApplyPlan.of(r, LAYOUT, f, true).ops()).contains(TxnOp.Delete.of("/p/routes/x"));
  }

  @Test
  void aNameThatCannotBeAnEtcdKeyIsAnErrorWithItsPathInTheFile() throws Exception {
    BulwarkConfig f =
        LOADER.parse(
            """
            upstreams:
              "a/b": { targets: [ { url: "http://127.0.0.1:9001" } ] }
            routes:
              - { name: "r/1", match: { path: /a }, upstream: "a/b" }
            """);
    assertThatThrownBy(() -> ApplyPlan.of(read(), LAYOUT, f, true))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.errors().stream().map(Object::toString))
                    .containsExactly(
                        "upstreams.a/b: name 'a/b' must not contain '/': it is the last part of its"
                            + " etcd key",
                        "routes[0].name: name 'r/1' must not contain '/': it is the last part of"
                            + " its etcd key"));
  }

  @Test
  void nothingToDoIsAnEmptyPlan() throws Exception {
    ApplyPlan plan =
        ApplyPlan.of(
            read(),
            LAYOUT,
            file(
                "  - { name: a, match: { path: /a }, upstream: svc }\n"
                    + "  - { name: b, match: { path: /b }, upstream: svc }\n"),
            true);
    assertThat(plan.empty()).isTrue();
    assertThat(plan.diff().empty()).isTrue();
    assertThat(plan.revision()).isEqualTo(10);
  }
}
