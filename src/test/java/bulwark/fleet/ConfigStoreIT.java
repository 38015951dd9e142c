package bulwark.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.BulwarkConfig;
import bulwark.config.ConfigLoader;
import bulwark.config.ConfigTrees;
import bulwark.fleet.ConfigWrite.Precondition;
import bulwark.fleet.ConfigWrite.Result;
import bulwark.fleet.ConfigWrite.Step;
import bulwark.it.EtcdCluster;
import io.vertx.core.Future;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Against a real etcd: two writes validated on the same revision cannot both commit (the guard),
 * and a key deleted by hand after the read is seen through its own compare; {@link ConfigStore}
 * reads and validates again.
 */
class ConfigStoreIT {
  private static final String P = "/gw";
  private static final ResourceLayout LAYOUT = new ResourceLayout(P);

  private static BulwarkConfig bootstrap() throws Exception {
    return new ConfigLoader(k -> null)
        .parse(
            "configSource:\n  type: etcd\n  etcd: { endpoints: [\"http://127.0.0.1:1\"], prefix: "
                + P
                + " }\n");
  }

  private static <T> T done(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static Step.Commit plan(RoutingModel m, String route, String upstream) throws Exception {
    Step s =
        ConfigWrite.plan(
            m,
            bootstrap(),
            "routes",
            route,
            ConfigTrees.readValue("{match: {path: /" + route + "/**}, upstream: " + upstream + "}"),
            Precondition.NONE,
            "test");
    assertThat(s).isInstanceOf(Step.Commit.class);
    return (Step.Commit) s;
  }

  private static TxnResult commit(EtcdClient kv, Step.Commit c) throws Exception {
    return done(kv.txn(c.compares(), c.success(), List.of()));
  }

  @Test
  void writesValidatedOnOneRevisionCannotBothCommitNorMissAHandDelete() throws Exception {
    try (EtcdCluster etcd = EtcdCluster.start(1);
        EtcdClient kv = EtcdClient.create(etcd.config(P))) {
      done(kv.put(P + "/upstreams/svc", "targets: [ { url: \"http://127.0.0.1:9\" } ]"));
      done(kv.put(P + "/upstreams/old", "targets: [ { url: \"http://127.0.0.1:8\" } ]"));
      ConfigStore store = new ConfigStore(kv, LAYOUT, bootstrap(), kv.vertx());
      RoutingModel m = done(store.read());

      Step.Commit a = plan(m, "a", "svc");
      Step.Commit b = plan(m, "b", "svc");
      assertThat(commit(kv, a).succeeded()).isTrue();
      assertThat(commit(kv, b).succeeded()).isFalse();
      assertThat(done(kv.get(P + "/routes/b"))).isNull();

      // a delete by hand (no guard key) of a resource the write names: its own compare sees it
      RoutingModel m2 = done(store.read());
      Step.Commit c = plan(m2, "c", "old");
      done(kv.delete(P + "/upstreams/old"));
      assertThat(commit(kv, c).succeeded()).isFalse();

      // through the store: read again, validated again; now the upstream is gone
      Result r = done(store.put("routes", "c", c.written().stored(), Precondition.NONE, "test"));
      assertThat(((Result.Invalid) r).errors().get(0).toString())
          .startsWith(P + "/routes/c: upstream: unknown upstream 'old'");
      Result ok =
          done(
              store.put(
                  "routes",
                  "b",
                  ConfigTrees.readValue("{match: {path: /b/**}, upstream: svc}"),
                  Precondition.NONE,
                  "test"));
      assertThat(ok).isInstanceOf(Result.Written.class);
      assertThat(done(kv.get(P + "/routes/b")).modRevision())
          .isEqualTo(((Result.Written) ok).revision());
      assertThat(done(kv.get(P + "/meta/writes")).text()).contains("create routes/b by test");
    }
  }
}
