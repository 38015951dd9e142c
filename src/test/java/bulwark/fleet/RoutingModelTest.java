package bulwark.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import bulwark.config.BulwarkConfig;
import bulwark.config.ConfigError;
import bulwark.config.ConfigException;
import bulwark.config.ConfigLoader;
import bulwark.config.ConfigTrees;
import bulwark.config.GroupConfig;
import bulwark.config.RouteConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoutingModelTest {
  private static final ResourceLayout LAYOUT = new ResourceLayout("/bw");
  private static final ConfigLoader LOADER = new ConfigLoader(k -> null);

  private static KeyValue kv(String key, String value, long rev) {
    return new KeyValue(key, value.getBytes(StandardCharsets.UTF_8), rev, rev, 1, 0);
  }

  private static WatchEvent put(String key, String value, long rev) {
    return new WatchEvent(WatchEvent.Type.PUT, kv(key, value, rev));
  }

  private static WatchEvent delete(String key, long rev) {
    return new WatchEvent(WatchEvent.Type.DELETE, kv(key, "", rev));
  }

  private static BulwarkConfig bootstrap() throws ConfigException {
    return LOADER.parse(
        """
        configSource:
          type: etcd
          etcd: { endpoints: ["http://127.0.0.1:2379"], prefix: /bw }
        """);
  }

  private static List<String> strings(List<ConfigError> errors) {
    return errors.stream().map(ConfigError::toString).toList();
  }

  /** A valid config in etcd: one upstream, one middleware, two routes, a group, the settings. */
  private static List<KeyValue> good() {
    return List.of(
        kv("/bw/upstreams/users", "targets: [ { url: \"http://127.0.0.1:9001\" } ]", 2),
        kv("/bw/middlewares/limited", "{\"rateLimit\": {\"rate\": \"100/min\"}}", 3),
        kv("/bw/routes/b-orders", "{match: {path: /orders}, upstream: users}", 4),
        kv("/bw/routes/a-users", "name: a-users\nmatch: { path: /users }\nupstream: users\n", 5),
        kv(
            "/bw/groups/api",
            "prefix: /api\nmiddlewares: [limited]\nroutes: [ { name: g1, match: { path: /x }, upstream: users } ]",
            6),
        kv("/bw/settings", "versioning: { vendor: acme, default: \"1\" }", 7),
        kv("/bw/nodes/gw-1", "not: [config", 8),
        kv("/bw/meta/writes", "{}", 9));
  }

  @Test
  void aGoodPrefixGivesAValidatedConfig() throws Exception {
    RoutingModel m = RoutingModel.of(new RangeResult(42, good()), LAYOUT);
    assertThat(m.errors()).isEmpty();
    assertThat(m.revision()).isEqualTo(42);
    assertThat(m.entry("routes", "b-orders").modRevision()).isEqualTo(4);
    assertThat(m.entry("routes", "b-orders").tree().get("name").textValue()).isEqualTo("b-orders");
    assertThat(m.trees("upstreams")).containsOnlyKeys("users");
    assertThat(m.settings().at("/versioning/vendor").textValue()).isEqualTo("acme");
    BulwarkConfig c = m.toConfig(bootstrap());
    assertThat(c.routes()).extracting(RouteConfig::name).containsExactly("a-users", "b-orders");
    assertThat(c.groups()).extracting(GroupConfig::name).containsExactly("api");
    assertThat(c.upstreams()).containsOnlyKeys("users");
    assertThat(c.middlewares()).containsOnlyKeys("limited");
    assertThat(c.versioning().vendor()).isEqualTo("acme");
    assertThat(c.configSource().etcd().prefix()).isEqualTo("/bw");
  }

  @Test
  void badJsonInOneKeyKeepsTheOthersAndNamesTheKey() throws Exception {
    List<KeyValue> kvs = new ArrayList<>(good());
    kvs.add(kv("/bw/routes/broken", "{\"match\": {\"path\": \"/z\"", 10));
    kvs.add(kv("/bw/upstreams/dup", "a: 1\na: 2\n", 11));
    kvs.add(kv("/bw/middlewares/scalar", "just text", 12));
    RoutingModel m = RoutingModel.of(kvs, 12, LAYOUT);
    assertThat(m.errors())
        .extracting(ConfigError::path)
        .containsExactly("/bw/middlewares/scalar", "/bw/routes/broken", "/bw/upstreams/dup");
    assertThat(strings(m.errors()))
        .anySatisfy(
            e -> assertThat(e).startsWith("/bw/routes/broken: line ").contains("invalid JSON/YAML"))
        .anySatisfy(
            e -> assertThat(e).startsWith("/bw/upstreams/dup: ").contains("invalid JSON/YAML"))
        .anySatisfy(e -> assertThat(e).startsWith("/bw/middlewares/scalar: expected a mapping"));
    assertThat(m.trees("routes")).containsOnlyKeys("a-users", "b-orders");
    assertThat(m.entry("routes", "broken")).isNull();
    assertThat(m.toConfig(bootstrap()).routes()).hasSize(2);
  }

  @Test
  void anUnknownKindIsAnErrorWithItsKey() {
    List<KeyValue> kvs = new ArrayList<>(good());
    kvs.add(kv("/bw/rotues/x", "{}", 13));
    RoutingModel m = RoutingModel.of(kvs, 13, LAYOUT);
    assertThat(strings(m.errors()))
        .singleElement()
        .asString()
        .startsWith("/bw/rotues/x: unknown kind 'rotues'");
    assertThat(m.trees("routes")).hasSize(2);
  }

  @Test
  void aNameThatDiffersFromTheKeyIsAnErrorWithItsKey() {
    List<KeyValue> kvs = new ArrayList<>(good());
    kvs.add(kv("/bw/routes/c", "{name: other, match: {path: /c}, upstream: users}", 14));
    kvs.add(kv("/bw/groups/g", "{name: h, prefix: /g}", 15));
    kvs.add(kv("/bw/settings", "{versioning: {vendor: acme, default: \"1\"}, routes: []}", 16));
    RoutingModel m = RoutingModel.of(kvs, 16, LAYOUT);
    assertThat(strings(m.errors()))
        .containsExactly(
            "/bw/groups/g: name: 'h' differs from the name in the key ('g'); leave it out or make them equal",
            "/bw/routes/c: name: 'other' differs from the name in the key ('c'); leave it out or make them equal",
            "/bw/settings: routes: not a settings field (settings holds versioning and remediation)");
    assertThat(m.entry("routes", "c")).isNull();
    // the earlier good settings value of the same key is kept: the bad change is refused
    assertThat(m.settings().at("/versioning/vendor").textValue()).isEqualTo("acme");
    assertThatThrownBy(() -> m.with("routes", "c", m.entry("routes", "a-users").tree()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'a-users' differs from the name in the key ('c')");
  }

  @Test
  void putAndDeleteEventsGiveANewModel() throws Exception {
    RoutingModel m0 = RoutingModel.of(good(), 9, LAYOUT);
    RoutingModel m1 =
        m0.with(
            List.of(
                put("/bw/routes/c-new", "{match: {path: /new}, upstream: users}", 20),
                delete("/bw/routes/a-users", 21),
                put("/bw/upstreams/users", "targets: [ { url: \"http://127.0.0.1:9005\" } ]", 22),
                put("/bw/nodes/gw-2", "{}", 23)));
    assertThat(m1.revision()).isEqualTo(23);
    assertThat(m1.trees("routes")).containsOnlyKeys("b-orders", "c-new");
    assertThat(m1.entry("upstreams", "users").modRevision()).isEqualTo(22);
    assertThat(m1.toConfig(bootstrap()).upstreams().get("users").targets().get(0).url())
        .contains("9005");
    // the old model is unchanged
    assertThat(m0.revision()).isEqualTo(9);
    assertThat(m0.trees("routes")).containsOnlyKeys("a-users", "b-orders");
    assertThat(m0.entry("upstreams", "users").modRevision()).isEqualTo(2);

    // a bad put keeps the last good value and reports the key; a good put clears it
    RoutingModel m2 = m1.with(List.of(put("/bw/routes/c-new", "{match: [", 30)));
    assertThat(strings(m2.errors())).singleElement().asString().startsWith("/bw/routes/c-new: ");
    assertThat(m2.entry("routes", "c-new").modRevision()).isEqualTo(20);
    RoutingModel m3 = m2.with(List.of(delete("/bw/routes/c-new", 31)));
    assertThat(m3.errors()).isEmpty();
    assertThat(m3.entry("routes", "c-new")).isNull();

    RoutingModel m4 =
        m3.with(
            "routes",
            "d",
            ((ObjectNode) m3.entry("routes", "b-orders").tree()).deepCopy().without("name"));
    assertThat(m4.entry("routes", "d").tree().get("name").textValue()).isEqualTo("d");
    assertThat(m4.entry("routes", "d").modRevision()).isZero();
    assertThat(m4.with("routes", "d", null).entry("routes", "d")).isNull();
  }

  @Test
  void theOrderOfRoutesDoesNotDependOnTheOrderOfKeys() {
    List<KeyValue> kvs = new ArrayList<>(good());
    RoutingModel a = RoutingModel.of(kvs, 9, LAYOUT);
    Collections.reverse(kvs);
    RoutingModel b = RoutingModel.of(kvs, 9, LAYOUT);
    Collections.shuffle(kvs, new java.util.Random(7));
    RoutingModel c = RoutingModel.of(kvs, 9, LAYOUT);
    assertThat(a.toRoutingTree()).isEqualTo(b.toRoutingTree()).isEqualTo(c.toRoutingTree());
    assertThat(a.toYaml()).isEqualTo(b.toYaml());
    JsonNode routes = a.toRoutingTree().get("routes");
    assertThat(routes.get(0).get("name").textValue()).isEqualTo("a-users");
    assertThat(routes.get(1).get("name").textValue()).isEqualTo("b-orders");
  }

  @Test
  void aBrokenReferenceFailsWithTheKeyOfTheResourceThatHasIt() throws Exception {
    RoutingModel m =
        RoutingModel.of(good(), 9, LAYOUT)
            .with(
                List.of(
                    put("/bw/routes/c-bad", "{match: {path: /c}, upstream: nope}", 30),
                    put(
                        "/bw/groups/api",
                        "prefix: /api\nmiddlewares: [limitd]\nroutes: [ { name: g1, match: { path: /x }, upstream: users } ]",
                        31),
                    put("/bw/upstreams/bad", "targets: []\nbalancer: roundrobin\n", 32),
                    put("/bw/settings", "versioning: { vendor: \"a b\", default: \"1\" }", 33)));
    assertThat(m.errors()).isEmpty();
    ConfigException e = catchConfig(m);
    List<String> errs = strings(e.errors());
    assertThat(errs)
        .anySatisfy(s -> assertThat(s).startsWith("/bw/routes/c-bad: upstream: ").contains("nope"))
        .anySatisfy(
            s -> assertThat(s).startsWith("/bw/groups/api: middlewares[0]: ").contains("limitd"))
        .anySatisfy(s -> assertThat(s).startsWith("/bw/upstreams/bad: "))
        .anySatisfy(s -> assertThat(s).startsWith("/bw/settings: versioning.vendor: "))
        .allSatisfy(s -> assertThat(s).startsWith("/bw/"));
  }

  private static ConfigException catchConfig(RoutingModel m) throws ConfigException {
    BulwarkConfig boot = bootstrap();
    try {
      m.toConfig(boot);
    } catch (ConfigException e) {
      return e;
    }
    throw new AssertionError("expected config errors");
  }

  @Test
  void aConfigRoundTripsThroughTheModelAndItsYaml() throws Exception {
    BulwarkConfig cfg =
        LOADER.parse(
            """
            upstreams:
              users: { targets: [ { url: "http://127.0.0.1:9001", weight: 3 } ], balancer: least_request }
              plain: { targets: [ { url: "http://127.0.0.1:9002" } ], circuitBreaker: { openFor: 30s } }
            middlewares:
              limited: { rateLimit: { rate: 100/min } }
              cors: { cors: { allowOrigins: ["https://app.example.com"] } }
            versioning: { vendor: acme, default: "1" }
            remediation:
              webhookToken: "webhook-token-for-the-tests-0123456789"
              rules:
                - { alert: Hot, action: tightenRateLimit, middleware: limited, factor: 10%, expireAfter: 1h }
            routes:
              - { name: zeta, match: { path: /z }, upstream: plain, timeout: 1500ms, middlewares: [cors] }
              - { name: alpha, match: { path: "/a/{id}", methods: [GET] }, upstream: users, rewrite: "/x/{id}" }
              - name: split
                match: { path: /s }
                backends: [ { upstream: users, weight: 1 }, { upstream: plain, weight: 0 } ]
            groups:
              - name: v2
                prefix: /v2
                stripPrefix: true
                middlewares: [limited]
                routes: [ { name: inner, match: { path: /i }, upstream: users } ]
              - name: admin
                prefix: /adm
                groups: [ { prefix: /deep, routes: [ { name: deep, match: { path: /d }, upstream: plain } ] } ]
            """);
    RoutingModel model = RoutingModel.fromConfig(cfg);
    String yaml = model.toYaml();
    JsonNode parsed = ConfigTrees.readValue(yaml);
    RoutingModel back = RoutingModel.empty(LAYOUT);
    for (var f : List.of("upstreams", "middlewares")) {
      var it = parsed.get(f).fields();
      while (it.hasNext()) {
        var e = it.next();
        back = back.with(f, e.getKey(), e.getValue());
      }
    }
    for (var f : List.of("routes", "groups"))
      for (JsonNode n : parsed.get(f)) back = back.with(f, n.get("name").textValue(), n);
    ObjectNode settings = ((ObjectNode) parsed).deepCopy();
    settings.retain("versioning", "remediation");
    back = back.with(ResourceKinds.SETTINGS, null, settings);

    BulwarkConfig again = back.toConfig(bootstrap());
    assertThat(again.upstreams()).isEqualTo(cfg.upstreams());
    assertThat(again.middlewares()).isEqualTo(cfg.middlewares());
    assertThat(again.versioning()).isEqualTo(cfg.versioning());
    assertThat(again.remediation()).isEqualTo(cfg.remediation());
    assertThat(again.routes()).isEqualTo(byName(cfg.routes(), RouteConfig::name));
    assertThat(again.groups()).isEqualTo(byName(cfg.groups(), GroupConfig::name));
    // and the whole file-shaped YAML parses as a config file with the same routing
    BulwarkConfig fromYaml = LOADER.parse(yaml);
    assertThat(fromYaml.routes()).isEqualTo(again.routes());
    assertThat(RoutingModel.fromConfig(again).toYaml()).isEqualTo(yaml);
    assertThat(model.trees()).isEqualTo(back.trees());
  }

  @Test
  void aGroupWithoutANameGetsOneFromItsPrefix() {
    BulwarkConfig cfg = null;
    try {
      cfg =
          LOADER.parse(
              """
              upstreams: { u: { targets: [ { url: "http://127.0.0.1:9001" } ] } }
              groups:
                - { prefix: /api/v1, routes: [ { name: a, match: { path: /a }, upstream: u } ] }
                - { prefix: /api/v1/, routes: [ { name: b, match: { path: /b }, upstream: u } ] }
              """);
    } catch (ConfigException e) {
      throw new AssertionError(e);
    }
    assertThat(RoutingModel.fromConfig(cfg).trees("groups")).containsOnlyKeys("api-v1", "api-v1-2");
  }

  private static <T> List<T> byName(List<T> items, java.util.function.Function<T, String> name) {
    List<T> out = new ArrayList<>(items);
    out.sort(Comparator.comparing(name));
    return out;
  }

  @Test
  void treesOfAllKindsFeedTheDiff() {
    RoutingModel a = RoutingModel.of(good(), 9, LAYOUT);
    RoutingModel b =
        a.with(
            List.of(put("/bw/routes/b-orders", "{match: {path: /orders2}, upstream: users}", 40)));
    ModelDiff d = ModelDiff.of(a.trees(), b.trees(), true);
    assertThat(d.changes())
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.kind()).isEqualTo("routes");
              assertThat(c.name()).isEqualTo("b-orders");
              assertThat(c.fields()).containsExactly("match.path: /orders -> /orders2");
            });
    assertThat(Map.copyOf(a.trees()).keySet()).containsAll(ResourceKinds.ALL);
  }
}
