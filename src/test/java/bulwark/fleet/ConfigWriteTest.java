package bulwark.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import bulwark.config.BulwarkConfig;
import bulwark.config.ConfigError;
import bulwark.config.ConfigLoader;
import bulwark.config.ConfigTrees;
import bulwark.fleet.ConfigWrite.Precondition;
import bulwark.fleet.ConfigWrite.Result;
import bulwark.fleet.ConfigWrite.Step;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Planning one write: preconditions, who uses what, the whole config validated, the compares. */
class ConfigWriteTest {
  private static final ResourceLayout LAYOUT = new ResourceLayout("/bw");

  private static KeyValue kv(String key, String value, long rev) {
    return new KeyValue(key, value.getBytes(StandardCharsets.UTF_8), rev, rev, 1, 0);
  }

  private static BulwarkConfig bootstrap() throws Exception {
    return new ConfigLoader(k -> null)
        .parse(
            """
            configSource:
              type: etcd
              etcd: { endpoints: ["http://127.0.0.1:2379"], prefix: /bw }
            """);
  }

  private static RoutingModel model() {
    return RoutingModel.of(
        new RangeResult(
            20,
            List.of(
                kv("/bw/upstreams/users", "targets: [ { url: \"http://127.0.0.1:9001\" } ]", 2),
                kv("/bw/upstreams/spare", "targets: [ { url: \"http://127.0.0.1:9002\" } ]", 3),
                kv("/bw/middlewares/limited", "{\"rateLimit\": {\"rate\": \"100/min\"}}", 4),
                kv("/bw/routes/orders", "{match: {path: /orders}, upstream: users}", 5),
                kv(
                    "/bw/groups/api",
                    "prefix: /api\nmiddlewares: [limited]\n"
                        + "routes: [ { name: g1, match: { path: /x }, upstream: spare,"
                        + " fallback: { upstream: users } } ]",
                    6))),
        LAYOUT);
  }

  private static JsonNode tree(String yaml) throws Exception {
    return ConfigTrees.readValue(yaml);
  }

  private static Step plan(String kind, String name, JsonNode value, Precondition pre)
      throws Exception {
    return ConfigWrite.plan(model(), bootstrap(), kind, name, value, pre, "test");
  }

  private static Result done(Step s) {
    assertThat(s).isInstanceOf(Step.Done.class);
    return ((Step.Done) s).result();
  }

  @Test
  void aValidPutCommitsOnlyIfNothingItWasValidatedAgainstChanged() throws Exception {
    Step s =
        plan(
            "routes",
            "users",
            tree("{match: {path: /users}, upstream: users, middlewares: [limited]}"),
            Precondition.NONE);
    Step.Commit c = (Step.Commit) s;
    assertThat(c.key()).isEqualTo("/bw/routes/users");
    assertThat(c.compares())
        .contains(
            Compare.modRevision("/bw/routes/users", 0),
            Compare.modRevision("/bw/upstreams/users", 2),
            Compare.modRevision("/bw/middlewares/limited", 4),
            Compare.unchangedSince("/bw/routes/", 20),
            new Compare("/bw/meta/writes", null, Compare.Result.LESS, 21));
    assertThat(c.success()).hasSize(2);
    TxnOp.Put put = (TxnOp.Put) c.success().get(0);
    assertThat(put.key()).isEqualTo("/bw/routes/users");
    assertThat(new String(put.value(), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"name\":\"users\",\"match\":{\"path\":\"/users\"},\"upstream\":\"users\","
                + "\"middlewares\":[\"limited\"]}");
    assertThat(((TxnOp.Put) c.success().get(1)).key()).isEqualTo("/bw/meta/writes");
    assertThat(c.written().op()).isEqualTo(Result.Op.CREATE);
    assertThat(c.written().diff()).hasSize(1).first().asString().startsWith("+ ");
  }

  @Test
  void aBrokenReferenceIsRefusedWithItsKeyAndFieldPath() throws Exception {
    Result r =
        done(plan("routes", "bad", tree("{match: {path: /b}, upstream: nope}"), Precondition.NONE));
    assertThat(((Result.Invalid) r).errors())
        .extracting(ConfigError::toString)
        .singleElement()
        .asString()
        .startsWith("/bw/routes/bad: upstream: unknown upstream 'nope'");
  }

  @Test
  void aNameThatIsNotTheKeysIsRefused() throws Exception {
    Result r =
        done(
            plan(
                "routes",
                "a",
                tree("{name: b, match: {path: /b}, upstream: users}"),
                Precondition.NONE));
    assertThat(((Result.Invalid) r).errors().get(0).toString())
        .startsWith("/bw/routes/a: name: 'b' differs");
    r =
        done(
            plan(
                "upstreams",
                "x",
                tree("{name: x, targets: [{url: \"http://h:1\"}]}"),
                Precondition.NONE));
    assertThat(((Result.Invalid) r).errors().get(0).toString())
        .startsWith("/bw/upstreams/x: name:");
  }

  @Test
  void deletingWhatOthersNameIsRefusedNamingThem() throws Exception {
    Result r = done(plan("upstreams", "users", null, Precondition.NONE));
    assertThat(((Result.InUse) r).users())
        .containsExactly("routes/orders", "groups/api: routes[0].fallback");
    r = done(plan("middlewares", "limited", null, Precondition.NONE));
    assertThat(((Result.InUse) r).users()).containsExactly("groups/api");
    assertThat(plan("routes", "orders", null, Precondition.NONE)).isInstanceOf(Step.Commit.class);
    assertThat(done(plan("routes", "none", null, Precondition.NONE)))
        .isInstanceOf(Result.NotFound.class);
  }

  @Test
  void preconditionsAreCheckedOnTheReadAndCompareTheKeyInTheTransaction() throws Exception {
    JsonNode v = tree("{match: {path: /orders}, upstream: spare}");
    Result stale = done(plan("routes", "orders", v, Precondition.of("\"4\"", null)));
    assertThat(((Result.PreconditionFailed) stale).current()).isEqualTo(5);
    Result exists = done(plan("routes", "orders", v, Precondition.of(null, "*")));
    assertThat(exists).isInstanceOf(Result.PreconditionFailed.class);
    Result absent = done(plan("routes", "other", v, Precondition.of("*", null)));
    assertThat(((Result.PreconditionFailed) absent).current()).isZero();
    Step.Commit c = (Step.Commit) plan("routes", "orders", v, Precondition.of("\"5\"", null));
    assertThat(c.compares()).contains(Compare.modRevision("/bw/routes/orders", 5));
    assertThat(c.written().op()).isEqualTo(Result.Op.UPDATE);
    assertThat(c.written().diff()).containsExactly("upstream: users -> spare");
  }

  @Test
  void malformedConditionalHeadersAreRefused() {
    assertThatThrownBy(() -> Precondition.of("W/\"x\"", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("If-Match");
    assertThatThrownBy(() -> Precondition.of(null, "\"3\""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("If-None-Match");
    assertThat(Precondition.of("\"3\", \"4\"", null).ifMatch()).isEqualTo(Set.of(3L, 4L));
  }

  @Test
  void theSettingsAreOneResourceAndTheirRulesNameResources() throws Exception {
    JsonNode s =
        tree(
            "remediation: { webhookToken: \"0123456789abcdef0123456789abcdef\","
                + " rules: [ { alert: Hot, action: useFallback, route: g1 } ] }");
    Step.Commit c = (Step.Commit) plan(ResourceKinds.SETTINGS, null, s, Precondition.NONE);
    assertThat(c.key()).isEqualTo("/bw/settings");
    assertThat(String.join("\n", c.written().diff())).doesNotContain("0123456789abcdef");
    assertThat(References.of(ResourceKinds.SETTINGS, s))
        .containsExactly(new References.Ref("routes", "g1"));
  }

  @Test
  void integersBecomeJsonNumbersAndNothingElseDoes() throws Exception {
    assertThat(
            ConfigWrite.forJson(tree("{a: 10, b: \"010\", c: 1.10, d: -0, e: [2, x]}")).toString())
        .isEqualTo("{\"a\":10,\"b\":\"010\",\"c\":\"1.10\",\"d\":\"-0\",\"e\":[2,\"x\"]}");
  }
}
