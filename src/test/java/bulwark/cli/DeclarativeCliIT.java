package bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.config.ConfigLoader;
import bulwark.fleet.EtcdClient;
import bulwark.fleet.KeyValue;
import bulwark.fleet.RangeResult;
import bulwark.fleet.RoutingModel;
import bulwark.it.EtcdCluster;
import bulwark.it.TestSupport;
import bulwark.it.TestSupport.RunningGateway;
import io.vertx.core.Future;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code bulwark apply}, {@code diff} and {@code export} run in this JVM through picocli, against a
 * real etcd (one member for the class; each test has its own prefix).
 */
class DeclarativeCliIT {
  private static EtcdCluster etcd;
  private static EtcdClient kv;

  @TempDir Path dir;

  @BeforeAll
  static void startEtcd() throws Exception {
    etcd = EtcdCluster.start(1);
    kv = EtcdClient.create(etcd.config("/"));
  }

  @AfterAll
  static void stopEtcd() {
    if (kv != null) kv.close();
    if (etcd != null) etcd.close();
  }

  private static final String ROUTING =
      """
      upstreams:
        svc: { targets: [ { url: "http://127.0.0.1:9001" } ] }
        other: { targets: [ { url: "http://127.0.0.1:9002", weight: 3 } ], balancer: least_request }
      middlewares:
        limited: { rateLimit: { rate: 100/min } }
      routes:
        - { name: main, match: { path: /api/** }, upstream: svc, middlewares: [limited], timeout: 1500ms }
        - { name: two, match: { path: /two/**, methods: [GET] }, upstream: other }
      groups:
        - { name: v2, prefix: /v2, routes: [ { name: inner, match: { path: /i }, upstream: svc } ] }
      versioning: { vendor: acme, default: "1" }
      """;

  @Test
  void applyToAnEmptyPrefixThenExportRoundTripsByteForByte() throws Exception {
    Path f = file("routing.yaml", ROUTING);
    Run applied = run("apply", "-f", f.toString(), "--etcd", endpoints(), "--prefix", "/rt");
    assertThat(applied.code()).as(applied.toString()).isZero();
    assertThat(applied.out())
        .contains("+ upstreams/svc", "+ routes/main", "+ groups/v2", "+ settings/settings")
        .contains("7 to add, 0 to change, 0 to remove")
        .contains("applied at etcd revision");
    assertThat(keys("/rt"))
        .containsExactlyInAnyOrder(
            "/rt/upstreams/svc",
            "/rt/upstreams/other",
            "/rt/middlewares/limited",
            "/rt/routes/main",
            "/rt/routes/two",
            "/rt/groups/v2",
            "/rt/settings",
            "/rt/meta/writes");

    Path e1 = dir.resolve("e1.yaml");
    assertThat(run("export", "--etcd", endpoints(), "--prefix", "/rt", "-o", e1.toString()).code())
        .isZero();
    // the export is a config file with the same routing as the file applied
    var fromFile = RoutingModel.fromConfig(ConfigLoader.fromSystemEnv().parse(ROUTING));
    var fromExport =
        RoutingModel.fromConfig(ConfigLoader.fromSystemEnv().parse(Files.readString(e1)));
    assertThat(fromExport.trees()).isEqualTo(fromFile.trees());

    // apply of an export is no change, and writes nothing
    long before = revision();
    Run diff = run("diff", "-f", e1.toString(), "--etcd", endpoints(), "--prefix", "/rt");
    assertThat(diff.code()).as(diff.toString()).isZero();
    assertThat(diff.out()).contains("no changes");
    Run again = run("apply", "-f", e1.toString(), "--etcd", endpoints(), "--prefix", "/rt");
    assertThat(again.code()).isZero();
    assertThat(again.out()).contains("no changes");
    assertThat(revision()).isEqualTo(before);
    // without -o, to standard output (contains: a log line of this JVM could land there too)
    Run stdout = run("export", "--etcd", endpoints(), "--prefix", "/rt");
    assertThat(stdout.out()).contains(Files.readString(e1));

    // export -> apply (to another, empty prefix) -> export: the same bytes
    assertThat(run("apply", "-f", e1.toString(), "--etcd", endpoints(), "--prefix", "/rt2").code())
        .isZero();
    Path e2 = dir.resolve("e2.yaml");
    assertThat(run("export", "--etcd", endpoints(), "--prefix", "/rt2", "-o", e2.toString()).code())
        .isZero();
    assertThat(Files.readAllBytes(e2)).isEqualTo(Files.readAllBytes(e1));
  }

  @Test
  void aResourceStoredInAnotherSpellingIsNoChange() throws Exception {
    // as the admin API or etcdctl store it: defaults left out, durations as the user wrote them
    done(
        kv.put(
            "/sp/upstreams/svc",
            "targets: [ { url: \"http://127.0.0.1:9001\" } ]\ntimeouts: { idle: 60s }"));
    done(kv.put("/sp/routes/main", "{match: {path: /api/**}, upstream: svc, timeout: 2000ms}"));
    Path f =
        file(
            "same.yaml",
            """
            upstreams:
              svc:
                targets: [ { url: "http://127.0.0.1:9001", weight: 1 } ]
                balancer: round_robin
                timeouts: { idle: 1m }
            routes:
              - { name: main, match: { path: /api/** }, upstream: svc, timeout: 2s }
            """);
    Run diff = run("diff", "-f", f.toString(), "--etcd", endpoints(), "--prefix", "/sp");
    assertThat(diff.code()).as(diff.toString()).isZero();
    // and its export applies as no change, and exports the same bytes again
    Path e1 = dir.resolve("e1.yaml");
    run("export", "--etcd", endpoints(), "--prefix", "/sp", "-o", e1.toString());
    long before = revision();
    assertThat(run("apply", "-f", e1.toString(), "--etcd", endpoints(), "--prefix", "/sp").out())
        .contains("no changes");
    assertThat(revision()).isEqualTo(before);
    Path e2 = dir.resolve("e2.yaml");
    run("export", "--etcd", endpoints(), "--prefix", "/sp", "-o", e2.toString());
    assertThat(Files.readAllBytes(e2)).isEqualTo(Files.readAllBytes(e1));
  }

  @Test
  void diffExitsZeroWithoutChangesOneWithChangesTwoOnAnError() throws Exception {
    Path f = file("routing.yaml", ROUTING);
    Run first = run("diff", "-f", f.toString(), "--etcd", endpoints(), "--prefix", "/df");
    assertThat(first.code()).isEqualTo(1);
    assertThat(first.out()).contains("+ routes/main", "7 to add");
    assertThat(run("apply", "-f", f.toString(), "--etcd", endpoints(), "--prefix", "/df").code())
        .isZero();
    assertThat(run("diff", "-f", f.toString(), "--etcd", endpoints(), "--prefix", "/df").code())
        .isZero();

    Path changed =
        file(
            "changed.yaml",
            ROUTING
                .replace("timeout: 1500ms", "timeout: 3s")
                .replace("balancer: least_request", "balancer: random"));
    Run diff = run("diff", "-f", changed.toString(), "--etcd", endpoints(), "--prefix", "/df");
    assertThat(diff.code()).isEqualTo(1);
    assertThat(diff.out())
        .contains("~ upstreams/other\n    balancer: least_request -> random\n")
        .contains("~ routes/main\n    timeout: 1500ms -> 3s\n")
        .contains("0 to add, 2 to change, 0 to remove");

    Path bad = file("bad.yaml", "routes:\n  - { name: a, match: { path: /a }, upstream: nope }\n");
    Run invalid = run("diff", "-f", bad.toString(), "--etcd", endpoints(), "--prefix", "/df");
    assertThat(invalid.code()).isEqualTo(2);
    assertThat(invalid.err()).contains("routes[0].upstream: unknown upstream 'nope'");

    int dead = TestSupport.freePort();
    Run down =
        run("diff", "-f", f.toString(), "--etcd", "http://127.0.0.1:" + dead, "--prefix", "/df");
    assertThat(down.code()).isEqualTo(2);
    assertThat(down.err().strip())
        .startsWith("cannot reach etcd (http://127.0.0.1:" + dead + ")")
        .doesNotContain("\n")
        .doesNotContain("Exception");
  }

  @Test
  void aDryRunPrintsTheDiffAndCommitsNothing() throws Exception {
    Path f = file("routing.yaml", ROUTING);
    long before = revision();
    Run r =
        run("apply", "--dry-run", "-f", f.toString(), "--etcd", endpoints(), "--prefix", "/dry");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("+ routes/main", "7 to add", "dry run: nothing written");
    assertThat(keys("/dry")).isEmpty();
    assertThat(revision()).isEqualTo(before);
  }

  @Test
  void withoutPruneWhatTheFileLacksIsKeptWithPruneItIsDeleted() throws Exception {
    Path f = file("routing.yaml", ROUTING);
    assertThat(run("apply", "-f", f.toString(), "--etcd", endpoints(), "--prefix", "/pr").code())
        .isZero();
    // a value etcd holds that is no config at all (written by hand)
    done(kv.put("/pr/routes/broken", "match: {path: ["));
    Path smaller =
        file(
            "smaller.yaml",
            """
            upstreams:
              svc: { targets: [ { url: "http://127.0.0.1:9001" } ] }
            routes:
              - { name: main, match: { path: /api/** }, upstream: svc }
            """);
    Run kept = run("apply", "-f", smaller.toString(), "--etcd", endpoints(), "--prefix", "/pr");
    assertThat(kept.code()).as(kept.toString()).isZero();
    assertThat(kept.out())
        .contains("= routes/two  (in etcd, not in the file: kept")
        .contains("= /pr/routes/broken  (not valid config, kept")
        .contains("~ routes/main\n")
        .contains("    middlewares: [limited] -> []\n", "    - timeout: 1500ms\n")
        .contains("0 to add, 1 to change, 0 to remove, 5 kept");
    assertThat(keys("/pr"))
        .contains("/pr/routes/two", "/pr/upstreams/other", "/pr/groups/v2", "/pr/routes/broken");

    Run pruned =
        run("apply", "--prune", "-f", smaller.toString(), "--etcd", endpoints(), "--prefix", "/pr");
    assertThat(pruned.code()).as(pruned.toString()).isZero();
    assertThat(pruned.out())
        .contains("- routes/two\n", "- upstreams/other\n", "- settings/settings\n")
        .contains("- /pr/routes/broken  (not valid config")
        .contains("0 to add, 0 to change, 5 to remove");
    assertThat(keys("/pr"))
        .containsExactlyInAnyOrder("/pr/upstreams/svc", "/pr/routes/main", "/pr/meta/writes");
  }

  @Test
  void anInvalidFileExitsTwoWithEveryFieldPathAndEtcdIsUnchanged() throws Exception {
    Path f = file("routing.yaml", ROUTING);
    assertThat(run("apply", "-f", f.toString(), "--etcd", endpoints(), "--prefix", "/iv").code())
        .isZero();
    long before = revision();
    Path bad =
        file(
            "bad.yaml",
            """
            upstreams:
              svc: { targets: [ { url: "ftp://x" } ], balancer: fastest }
            routes:
              - { name: main, match: { path: /api/** }, upstream: nope, timeout: soon }
            """);
    Run r = run("apply", "--prune", "-f", bad.toString(), "--etcd", endpoints(), "--prefix", "/iv");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err())
        .startsWith(bad + ": 4 errors\n")
        .contains("upstreams.svc.targets[0].url: ")
        .contains("upstreams.svc.balancer: unknown balancer 'fastest'")
        .contains("routes[0].upstream: unknown upstream 'nope'")
        .contains("routes[0].timeout: 'soon' is not a duration")
        .doesNotContain("Exception");
    assertThat(r.out()).doesNotContain("routes/main");

    // valid alone, but not with what etcd keeps: a route written by hand that the gateways refuse
    done(kv.put("/iv/routes/handmade", "{match: {path: /h/**}, upstream: missing}"));
    long withHandmade = revision();
    Path ok = file("ok.yaml", ROUTING.replace("timeout: 1500ms", "timeout: 2s"));
    Run merged = run("apply", "-f", ok.toString(), "--etcd", endpoints(), "--prefix", "/iv");
    assertThat(merged.code()).isEqualTo(2);
    assertThat(merged.err())
        .contains("applied to /iv (with what etcd keeps): 1 error")
        .contains("/iv/routes/handmade: upstream: unknown upstream 'missing'");
    assertThat(revision()).isEqualTo(withHandmade).isGreaterThan(before);
    Run prune =
        run("apply", "--prune", "-f", ok.toString(), "--etcd", endpoints(), "--prefix", "/iv");
    assertThat(prune.code()).as(prune.toString()).isZero();
    assertThat(keys("/iv")).doesNotContain("/iv/routes/handmade");
  }

  /**
   * Two applies diffed against the same revision: the one that commits second is refused, writes
   * nothing and names the revisions. The second apply runs inside the first, between its diff and
   * its commit.
   */
  @Test
  void theSecondOfTwoAppliesDiffedAgainstOneRevisionIsRefused() throws Exception {
    Path f = file("routing.yaml", ROUTING);
    assertThat(run("apply", "-f", f.toString(), "--etcd", endpoints(), "--prefix", "/cc").code())
        .isZero();
    long start = revision();
    Path mine = file("mine.yaml", ROUTING.replace("timeout: 1500ms", "timeout: 2s"));
    Path theirs = file("theirs.yaml", ROUTING.replace("timeout: 1500ms", "timeout: 9s"));
    AtomicReference<Run> inner = new AtomicReference<>();
    Run outer =
        run(
            () ->
                inner.set(
                    run(
                        "apply",
                        "-f",
                        theirs.toString(),
                        "--etcd",
                        endpoints(),
                        "--prefix",
                        "/cc")),
            "apply",
            "-f",
            mine.toString(),
            "--etcd",
            endpoints(),
            "--prefix",
            "/cc");
    assertThat(inner.get().code()).as(inner.get().toString()).isZero();
    assertThat(outer.code()).as(outer.toString()).isEqualTo(1);
    long after = revision();
    assertThat(outer.err())
        .contains("etcd changed since the diff (revision " + start + " -> " + after + ")")
        .contains("run again");
    assertThat(value("/cc/routes/main")).contains("\"timeout\":\"9s\"");

    // a key deleted by hand between the diff and the commit (no Bulwark writer involved) is seen
    // too: the file keeps routes/two, which would otherwise silently stay deleted
    Run deleted =
        run(
            () -> done(kv.delete("/cc/routes/two")),
            "apply",
            "-f",
            mine.toString(),
            "--etcd",
            endpoints(),
            "--prefix",
            "/cc");
    assertThat(deleted.code()).as(deleted.toString()).isEqualTo(1);
    assertThat(value("/cc/routes/main")).contains("\"timeout\":\"9s\"");
    // run again: diffed against the new state, it commits
    Run retry = run("apply", "-f", mine.toString(), "--etcd", endpoints(), "--prefix", "/cc");
    assertThat(retry.code()).as(retry.toString()).isZero();
    assertThat(retry.out()).contains("+ routes/two", "~ routes/main");
    assertThat(value("/cc/routes/main")).contains("\"timeout\":\"2s\"");
  }

  /** etcd's --max-txn-ops (128 by default) bounds one transaction: said so, nothing written. */
  @Test
  void aChangeLargerThanEtcdTakesInOneTransactionIsRefusedWithAHint() throws Exception {
    StringBuilder yaml = new StringBuilder("upstreams:\n");
    for (int i = 0; i < 130; i++)
      yaml.append("  u")
          .append(i)
          .append(": { targets: [ { url: \"http://127.0.0.1:9001\" } ] }\n");
    Path f = file("large.yaml", yaml.toString());
    Run r = run("apply", "-f", f.toString(), "--etcd", endpoints(), "--prefix", "/big");
    assertThat(r.code()).as(r.toString()).isEqualTo(2);
    assertThat(r.err()).contains("too many operations", "--max-txn-ops", "nothing written");
    assertThat(keys("/big")).isEmpty();
  }

  @Test
  void aGatewayInEtcdModeServesWhatApplyWrote() throws Exception {
    try (TestSupport.Upstream a = new TestSupport.Upstream("a")) {
      String svc = "upstreams:\n  svc: { targets: [ { url: \"" + a.url() + "\" } ] }\n";
      Path first =
          file(
              "first.yaml",
              svc + "routes:\n  - { name: api, match: { path: /api/** }, upstream: svc }\n");
      assertThat(
              run("apply", "-f", first.toString(), "--etcd", endpoints(), "--prefix", "/gw").code())
          .isZero();
      String source =
          "configSource:\n  type: etcd\n  etcd:\n    endpoints: [\""
              + etcd.endpoint(0)
              + "\"]\n    prefix: /gw\n    dialTimeout: 1s\n";
      try (RunningGateway gw = RunningGateway.start(TestSupport.head() + source)) {
        assertThat(status(gw, "/api/one")).isEqualTo(200);
        assertThat(status(gw, "/second/one")).isEqualTo(404);
        Path second =
            file(
                "second.yaml",
                svc
                    + "routes:\n  - { name: second, match: { path: /second/** }, upstream: svc }\n");
        Run r =
            run(
                "apply",
                "--prune",
                "-f",
                second.toString(),
                "--etcd",
                endpoints(),
                "--prefix",
                "/gw");
        assertThat(r.code()).as(r.toString()).isZero();
        await().atMost(Duration.ofSeconds(60)).until(() -> status(gw, "/second/one") == 200);
        // one transaction: the route removed in it is gone in the same swap
        assertThat(status(gw, "/api/one")).isEqualTo(404);
      }
    }
  }

  @Test
  void withAuthenticationTheUserAndPasswordFileAreUsed() throws Exception {
    try (EtcdCluster secured = EtcdCluster.start(1)) {
      secured.enableAuth("root-pass", "deployer", "s3cret");
      String ep = secured.endpoint(0);
      Path f = file("routing.yaml", ROUTING);
      Path pw = file("pw", "s3cret\n");
      Run ok =
          run(
              "apply",
              "-f",
              f.toString(),
              "--etcd",
              ep,
              "--prefix",
              "/au",
              "--user",
              "deployer",
              "--password-file",
              pw.toString());
      assertThat(ok.code()).as(ok.toString()).isZero();
      Run noPassword = run("export", "--etcd", ep, "--prefix", "/au", "--user", "deployer");
      assertThat(noPassword.code()).isEqualTo(2);
      assertThat(noPassword.err()).contains("--user: 'deployer' needs a password");
      Path wrong = file("wrong", "nope");
      Run denied =
          run(
              "export",
              "--etcd",
              ep,
              "--prefix",
              "/au",
              "--user",
              "deployer",
              "--password-file",
              wrong.toString());
      assertThat(denied.code()).isEqualTo(2);
      assertThat(denied.err()).contains("authentication failed").doesNotContain("nope");
      Run export =
          run(
              "export",
              "--etcd",
              ep,
              "--prefix",
              "/au",
              "--user",
              "deployer",
              "--password-file",
              pw.toString());
      assertThat(export.code()).isZero();
      assertThat(export.out()).contains("vendor: acme");
    }
  }

  // --- helpers

  record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    return run(null, args);
  }

  /** Runs bulwark with {@code args}; {@code beforeCommit} runs inside apply before its commit. */
  private static Run run(Runnable beforeCommit, String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      CommandLine.IFactory factory =
          new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
              K k = CommandLine.defaultFactory().create(cls);
              if (k instanceof ApplyCommand a && beforeCommit != null)
                a.beforeCommit = beforeCommit;
              return k;
            }
          };
      int code = new CommandLine(new Main(), factory).execute(args);
      return new Run(
          code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  private Path file(String name, String text) throws Exception {
    Path f = dir.resolve(name);
    Files.writeString(f, text);
    return f;
  }

  private static String endpoints() {
    return String.join(",", etcd.endpoints());
  }

  private static List<String> keys(String prefix) throws Exception {
    RangeResult r = done(kv.range(prefix + "/"));
    List<String> out = new ArrayList<>();
    for (KeyValue k : r.kvs()) out.add(k.key());
    return out;
  }

  private static String value(String key) throws Exception {
    KeyValue k = done(kv.get(key));
    return k == null ? null : k.text();
  }

  /** The store's revision now. */
  private static long revision() throws Exception {
    return done(kv.range("/nothing-here/")).revision();
  }

  private static <T> T done(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static int status(RunningGateway gw, String path) throws Exception {
    return TestSupport.get(gw.url(path)).statusCode();
  }
}
