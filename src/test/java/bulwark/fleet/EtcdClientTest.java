package bulwark.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import bulwark.it.EtcdCluster;
import bulwark.it.TestSupport;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** EtcdClient against one real etcd member. Each test uses its own key prefix. */
class EtcdClientTest {
  private static EtcdCluster etcd;
  private static EtcdClient client;

  @BeforeAll
  static void start() throws Exception {
    etcd = EtcdCluster.start(1);
    client = EtcdClient.create(etcd.config("/t"));
  }

  @AfterAll
  static void stop() {
    if (client != null) client.close();
    if (etcd != null) etcd.close();
  }

  static <T> T get(io.vertx.core.Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void putGetRangeDelete() throws Exception {
    long r1 = get(client.put("/a/x", "1"));
    long r2 = get(client.put("/a/y", "2"));
    get(client.put("/a2/z", "outside the prefix"));
    assertThat(r2).isGreaterThan(r1);
    RangeResult range = get(client.range("/a/"));
    assertThat(range.kvs()).extracting(KeyValue::key).containsExactly("/a/x", "/a/y");
    assertThat(range.kvs()).extracting(KeyValue::text).containsExactly("1", "2");
    assertThat(range.kvs().get(0).modRevision()).isEqualTo(r1);
    assertThat(range.revision()).isGreaterThanOrEqualTo(r2);
    assertThat(get(client.get("/a/y")).createRevision()).isEqualTo(r2);
    assertThat(get(client.get("/a/none"))).isNull();
    get(client.delete("/a/x"));
    assertThat(get(client.range("/a/")).kvs()).extracting(KeyValue::key).containsExactly("/a/y");
  }

  @Test
  void txnComparesModRevisionAbsenceAndARange() throws Exception {
    long rev = get(client.put("/b/k", "v1"));
    TxnResult stale =
        get(
            client.txn(
                List.of(Compare.modRevision("/b/k", rev - 1)),
                List.of(TxnOp.Put.of("/b/k", "v2")),
                List.of(new TxnOp.Get("/b/k", null))));
    assertThat(stale.succeeded()).isFalse();
    assertThat(stale.ranges().get(0).kvs().get(0).text()).isEqualTo("v1");
    TxnResult ok =
        get(
            client.txn(
                List.of(Compare.modRevision("/b/k", rev), Compare.absent("/b/new")),
                List.of(TxnOp.Put.of("/b/k", "v2"), TxnOp.Put.of("/b/new", "n")),
                List.of()));
    assertThat(ok.succeeded()).isTrue();
    assertThat(get(client.get("/b/k")).text()).isEqualTo("v2");
    assertThat(get(client.txn(List.of(Compare.absent("/b/new")), List.of(), List.of())).succeeded())
        .isFalse();
    long at = ok.revision();
    assertThat(
            get(client.txn(List.of(Compare.unchangedSince("/b/", at)), List.of(), List.of()))
                .succeeded())
        .isTrue();
    get(client.put("/b/other", "x"));
    assertThat(
            get(client.txn(List.of(Compare.unchangedSince("/b/", at)), List.of(), List.of()))
                .succeeded())
        .isFalse();
  }

  @Test
  void watchReportsPutsAndDeletesInOrder() throws Exception {
    long from = get(client.put("/w/seed", "s")) + 1;
    List<WatchEvent> seen = new CopyOnWriteArrayList<>();
    EtcdStreams.Watch w =
        client.watch(
            "/w/",
            from,
            new WatchListener() {
              @Override
              public void events(long revision, List<WatchEvent> events) {
                seen.addAll(events);
              }

              @Override
              public void compacted(long compactRevision) {}

              @Override
              public void failed(Throwable cause) {}
            });
    get(client.put("/w/a", "1"));
    get(client.put("/w/b", "2"));
    get(client.delete("/w/a"));
    await().atMost(Duration.ofSeconds(30)).until(() -> seen.size() == 3);
    assertThat(seen)
        .extracting(e -> e.type() + " " + e.kv().key())
        .containsExactly("PUT /w/a", "PUT /w/b", "DELETE /w/a");
    assertThat(seen.get(1).kv().text()).isEqualTo("2");
    w.cancel();
  }

  @Test
  void watchFromACompactedRevisionReportsTheCompaction() throws Exception {
    long first = get(client.put("/c/k", "1"));
    long last = get(client.put("/c/k", "2"));
    get(client.compact(last));
    AtomicLong compacted = new AtomicLong();
    client.watch(
        "/c/",
        first,
        new WatchListener() {
          @Override
          public void events(long revision, List<WatchEvent> events) {}

          @Override
          public void compacted(long compactRevision) {
            compacted.set(compactRevision);
          }

          @Override
          public void failed(Throwable cause) {}
        });
    await().atMost(Duration.ofSeconds(30)).until(() -> compacted.get() == last);
  }

  @Test
  void aLeasedKeyGoesAwayWithItsLeaseAndKeepAliveRenews() throws Exception {
    long lease = get(client.leaseGrant(2));
    assertThat(lease).isNotZero();
    get(client.putWithLease("/l/node", "{}", lease));
    assertThat(get(client.get("/l/node")).lease()).isEqualTo(lease);
    assertThat(get(client.keepAlive(lease))).isPositive();
    long other = get(client.leaseGrant(1));
    get(client.putWithLease("/l/gone", "{}", other));
    await().atMost(Duration.ofSeconds(30)).until(() -> get(client.get("/l/gone")) == null);
    assertThat(get(client.keepAlive(other))).isZero();
  }

  @Test
  void failsOverToTheNextEndpoint() throws Exception {
    String dead = "http://127.0.0.1:" + TestSupport.freePort();
    try (EtcdClient c =
        EtcdClient.create(EtcdCluster.config("/t", List.of(dead, etcd.endpoint(0)), "", ""))) {
      get(c.put("/f/k", "v"));
      assertThat(get(c.get("/f/k")).text()).isEqualTo("v");
      assertThat(c.endpoints().get(c.currentIndex())).isEqualTo(etcd.endpoint(0));
    }
    try (EtcdClient c = EtcdClient.create(EtcdCluster.config("/t", List.of(dead), "", ""))) {
      assertThatThrownBy(() -> get(c.get("/f/k"))).hasCauseInstanceOf(EtcdException.class);
    }
  }

  @Test
  void authenticatesWithAUserAndReauthenticatesWhenTheTokenIsInvalid() throws Exception {
    try (EtcdCluster secured = EtcdCluster.start(1)) {
      secured.enableAuth("rootpw", "gw", "gwpw");
      try (EtcdClient anon = EtcdClient.create(secured.config("/s"))) {
        assertThatThrownBy(() -> get(anon.put("/s/k", "v")))
            .hasCauseInstanceOf(EtcdException.class);
      }
      try (EtcdClient wrong =
          EtcdClient.create(EtcdCluster.config("/s", secured.endpoints(), "gw", "nope"))) {
        assertThatThrownBy(() -> get(wrong.put("/s/k", "v")))
            .hasMessageContaining("authentication failed");
      }
      try (EtcdClient c =
          EtcdClient.create(EtcdCluster.config("/s", secured.endpoints(), "gw", "gwpw"))) {
        get(c.put("/s/k", "v"));
        assertThat(get(c.get("/s/k")).text()).isEqualTo("v");
        // a token etcd no longer knows (as after a member restart): the client logs in again
        AtomicReference<Throwable> err = new AtomicReference<>();
        c.forceToken("bogus.token.1");
        get(c.put("/s/k", "v2"));
        assertThat(get(c.get("/s/k")).text()).isEqualTo("v2");
        assertThat(err.get()).isNull();
        List<WatchEvent> seen = new CopyOnWriteArrayList<>();
        c.watch(
            "/s/",
            get(c.get("/s/k")).modRevision() + 1,
            new WatchListener() {
              @Override
              public void events(long revision, List<WatchEvent> events) {
                seen.addAll(events);
              }

              @Override
              public void compacted(long compactRevision) {}

              @Override
              public void failed(Throwable cause) {
                err.set(cause);
              }
            });
        get(c.put("/s/k", "v3"));
        await().atMost(Duration.ofSeconds(30)).until(() -> seen.size() == 1);
      }
    }
  }
}
