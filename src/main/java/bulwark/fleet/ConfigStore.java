package bulwark.fleet;

import bulwark.config.BulwarkConfig;
import bulwark.fleet.ConfigWrite.Precondition;
import bulwark.fleet.ConfigWrite.Result;
import bulwark.fleet.ConfigWrite.Step;
import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;

/**
 * The routing config in etcd, read and written one resource at a time (the admin {@code /config}
 * API). A write reads the whole model at one revision, plans it ({@link ConfigWrite#plan}: the
 * preconditions, the whole resulting config validated as a file is, off the event loop), then
 * commits it in one transaction that holds only if the resource's key is still at the revision read
 * (If-Match is this compare), nothing under the resource kinds changed since, and no other Bulwark
 * writer committed since ({@link WriteGuard}). A transaction that fails although the precondition
 * still holds lost a race: the write is read, validated and tried again, {@link #ATTEMPTS} times in
 * all. Writing does not wait for the gateways: each serves the change once its watch delivers it.
 */
public final class ConfigStore {
  /** Reads, validations and transactions of one write before it answers Conflict. */
  static final int ATTEMPTS = 5;

  private final EtcdClient etcd;
  private final ResourceLayout layout;
  private final BulwarkConfig bootstrap;
  private final Vertx vertx;

  /**
   * @param etcd the process's client (the config source's)
   * @param bootstrap what the routing model is bound into to validate it
   * @param vertx where validation runs ({@code executeBlocking})
   */
  public ConfigStore(EtcdClient etcd, ResourceLayout layout, BulwarkConfig bootstrap, Vertx vertx) {
    this.etcd = etcd;
    this.layout = layout;
    this.bootstrap = bootstrap;
    this.vertx = vertx;
  }

  public ResourceLayout layout() {
    return layout;
  }

  /**
   * The whole model, at one revision. An answer without a revision (no etcd gives one: its store
   * starts at 1) fails the read rather than pass for an empty config.
   */
  public Future<RoutingModel> read() {
    return etcd.range(layout.rangePrefix())
        .map(
            r -> {
              if (r.revision() <= 0)
                throw new EtcdException(-1, "etcd answered a range without a revision");
              return RoutingModel.of(r, layout);
            });
  }

  /**
   * Creates or replaces {@code kind/name} (for the settings, {@code name} is ignored) with {@code
   * value}, in the file's shape. {@code who} names the writer in the guard key. Fails only when
   * etcd cannot be reached.
   */
  public Future<Result> put(
      String kind, String name, JsonNode value, Precondition pre, String who) {
    return write(kind, name, value, pre, who, 1);
  }

  /** Deletes {@code kind/name}, unless something names it ({@link Result.InUse}). */
  public Future<Result> delete(String kind, String name, Precondition pre, String who) {
    return write(kind, name, null, pre, who, 1);
  }

  private Future<Result> write(
      String kind, String name, JsonNode value, Precondition pre, String who, int attempt) {
    String n = ResourceKinds.SETTINGS.equals(kind) ? ResourceKinds.SETTINGS : name;
    return read()
        .compose(
            model ->
                vertx.executeBlocking(
                    () -> ConfigWrite.plan(model, bootstrap, kind, n, value, pre, who), false))
        .compose(
            step ->
                switch (step) {
                  case Step.Done d -> Future.succeededFuture(d.result());
                  case Step.Commit c -> commit(c, kind, n, value, pre, who, attempt);
                });
  }

  private Future<Result> commit(
      Step.Commit c,
      String kind,
      String name,
      JsonNode value,
      Precondition pre,
      String who,
      int attempt) {
    return etcd.txn(c.compares(), c.success(), List.of(new TxnOp.Get(c.key(), null)))
        .compose(
            tr -> {
              if (tr.succeeded()) return Future.succeededFuture(c.written().at(tr.revision()));
              long now = currentRevision(tr);
              String broken = pre.broken(now);
              if (broken != null)
                return Future.succeededFuture(
                    new Result.PreconditionFailed(
                        now, ConfigWrite.label(kind, name) + ": " + broken));
              if (attempt >= ATTEMPTS)
                return Future.succeededFuture(
                    new Result.Conflict(
                        "other writes kept changing the config while this one was validated ("
                            + ATTEMPTS
                            + " attempts); nothing was written, try again"));
              return write(kind, name, value, pre, who, attempt + 1);
            });
  }

  /** The resource key's mod revision as the failed transaction read it (0: absent). */
  private static long currentRevision(TxnResult tr) {
    if (tr.ranges().isEmpty() || tr.ranges().get(0).kvs().isEmpty()) return 0;
    return tr.ranges().get(0).kvs().get(0).modRevision();
  }
}
