package bulwark.fleet;

import bulwark.config.BulwarkConfig;
import bulwark.config.ConfigError;
import bulwark.config.ConfigException;
import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What it takes to make the routing config under one prefix what a file says (decK's and ADC's
 * sync): the diff against what etcd held at one revision, validated as the gateways would see the
 * result, and the one guarded transaction that writes it. Pure but for {@link #commit}.
 *
 * <p>Resources are compared in their canonical form (the tree {@link RoutingModel#fromConfig}
 * gives: every field written, defaults included), so a resource stored in another spelling (a
 * default left out, {@code 60s} for {@code 1m}) is no change; what is written is the canonical
 * form.
 *
 * <p>The transaction commits only if nothing changed since the revision read: the {@link
 * WriteGuard} compares (the admin API uses the same, so the two writers exclude each other) plus,
 * for each key read that the plan neither puts nor deletes, its mod revision (a range compare does
 * not see a key deleted by hand).
 */
public final class ApplyPlan {
  /** What the commit did: applied at {@code revision}, or refused because etcd had moved on. */
  public record Outcome(boolean applied, long revision) {}

  private final ResourceLayout layout;
  private final RangeResult read;
  private final ModelDiff diff;
  private final List<ConfigError> invalidKeys;
  private final boolean prune;
  private final List<String> notes;

  private ApplyPlan(
      ResourceLayout layout,
      RangeResult read,
      ModelDiff diff,
      List<ConfigError> invalidKeys,
      boolean prune,
      List<String> notes) {
    this.layout = layout;
    this.read = read;
    this.diff = diff;
    this.invalidKeys = invalidKeys;
    this.prune = prune;
    this.notes = notes;
  }

  /**
   * The plan that makes what {@code read} holds under {@code layout} into {@code file}'s routing
   * sections ({@code file} is a validated config; its other sections are the bootstrap the result
   * is validated with). Without {@code prune}, resources only in etcd are kept.
   *
   * @throws ConfigException when a name in the file cannot be an etcd key (path: its place in the
   *     file), or the result (the file plus what etcd keeps) does not validate (errors inside a
   *     resource have its etcd key as their path)
   */
  public static ApplyPlan of(
      RangeResult read, ResourceLayout layout, BulwarkConfig file, boolean prune)
      throws ConfigException {
    keyNames(file);
    RoutingModel current = RoutingModel.of(read, layout);
    RoutingModel desired = RoutingModel.fromConfig(file, layout);
    RoutingModel result = prune ? desired : merged(current, desired);
    result.toConfig(file);
    List<String> notes = new ArrayList<>();
    Map<String, Map<String, JsonNode>> before = canonical(current, desired, file, notes);
    ModelDiff diff = ModelDiff.of(before, desired.trees(), prune);
    return new ApplyPlan(layout, read, diff, current.errors(), prune, List.copyOf(notes));
  }

  /** The revision the plan was diffed against. */
  public long revision() {
    return read.revision();
  }

  public ModelDiff diff() {
    return diff;
  }

  /**
   * Keys under the prefix whose values are not valid config (each with why): deleted with prune
   * unless the file has the resource (then put), else kept.
   */
  public List<ConfigError> invalidKeys() {
    return invalidKeys;
  }

  /** Remarks on how the diff was made (a current config that does not validate). */
  public List<String> notes() {
    return notes;
  }

  /** Whether committing would write nothing. */
  public boolean empty() {
    return ops().isEmpty();
  }

  /**
   * The diff for a terminal: the invalid keys first ({@code -} deleted, {@code =} kept), then
   * {@link ModelDiff#render}.
   */
  public String render() {
    StringBuilder sb = new StringBuilder();
    Set<String> put = putKeys();
    for (ConfigError e : invalidKeys) {
      if (put.contains(e.path())) continue;
      sb.append(prune ? "- " : "= ").append(e.path());
      sb.append(prune ? "  (not valid config: " : "  (not valid config, kept: ");
      String m = e.message();
      sb.append(m.indexOf('\n') < 0 ? m : m.substring(0, m.indexOf('\n'))).append(")\n");
    }
    return sb.append(diff.render()).toString();
  }

  /** The puts and deletes, without the guard key's put. */
  public List<TxnOp> ops() {
    List<TxnOp> out = new ArrayList<>();
    for (ModelDiff.Change c : diff.changes()) {
      String key = layout.key(c.kind(), c.name());
      switch (c.op()) {
        case ADD, CHANGE -> out.add(TxnOp.Put.of(key, c.after().toString()));
        case REMOVE -> out.add(TxnOp.Delete.of(key));
        case KEEP -> {}
      }
    }
    if (prune) {
      Set<String> put = putKeys();
      for (ConfigError e : invalidKeys)
        if (!put.contains(e.path())) out.add(TxnOp.Delete.of(e.path()));
    }
    return out;
  }

  /**
   * The compares of the transaction: {@link WriteGuard#compares} at the revision read, and each key
   * read (but not the ones the plan puts or deletes) still at its mod revision.
   */
  public List<Compare> compares() {
    List<Compare> out = new ArrayList<>(new WriteGuard(layout, read.revision()).compares());
    Set<String> written = new HashSet<>();
    for (TxnOp op : ops())
      written.add(
          switch (op) {
            case TxnOp.Put p -> p.key();
            case TxnOp.Delete d -> d.key();
            case TxnOp.Get g -> g.key();
          });
    for (KeyValue kv : read.kvs()) {
      if (layout.parse(kv.key()) instanceof ResourceLayout.Ignored) continue;
      if (!written.contains(kv.key())) out.add(Compare.modRevision(kv.key(), kv.modRevision()));
    }
    return out;
  }

  /**
   * Writes the plan in one transaction, with the guard key marked by {@code who}; refused (nothing
   * written) when etcd changed since the revision read. The outcome's revision is the store's
   * revision after the write, or the current one when refused.
   */
  public Future<Outcome> commit(EtcdClient etcd, String who) {
    List<TxnOp> ops = new ArrayList<>(ops());
    ops.add(new WriteGuard(layout, read.revision()).mark(who));
    return etcd.txn(compares(), ops, List.of()).map(r -> new Outcome(r.succeeded(), r.revision()));
  }

  private Set<String> putKeys() {
    Set<String> out = new HashSet<>();
    for (ModelDiff.Change c : diff.changes())
      if (c.op() == ModelDiff.Op.ADD || c.op() == ModelDiff.Op.CHANGE)
        out.add(layout.key(c.kind(), c.name()));
    return out;
  }

  /**
   * Refuses names that cannot be the last part of an etcd key, with their paths in the file (a
   * group without a name gets one from its prefix, which always can).
   */
  private static void keyNames(BulwarkConfig file) throws ConfigException {
    List<ConfigError> errors = new ArrayList<>();
    for (String kind : List.of("upstreams", "middlewares")) {
      Map<String, ?> m = kind.equals("upstreams") ? file.upstreams() : file.middlewares();
      if (m != null) for (String n : m.keySet()) keyName(n, kind + "." + n, errors);
    }
    if (file.routes() != null)
      for (int i = 0; i < file.routes().size(); i++)
        keyName(file.routes().get(i).name(), "routes[" + i + "].name", errors);
    if (file.groups() != null)
      for (int i = 0; i < file.groups().size(); i++)
        if (file.groups().get(i).name() != null)
          keyName(file.groups().get(i).name(), "groups[" + i + "].name", errors);
    if (!errors.isEmpty()) throw new ConfigException(errors);
  }

  private static void keyName(String name, String path, List<ConfigError> errors) {
    String bad = ResourceLayout.nameProblem(name);
    if (bad != null)
      errors.add(new ConfigError(path, "name " + bad + ": it is the last part of its etcd key"));
  }

  /** {@code current} with every resource of {@code desired} put over it. */
  private static RoutingModel merged(RoutingModel current, RoutingModel desired) {
    RoutingModel out = current;
    for (String kind : ResourceKinds.ALL)
      for (var e : desired.trees(kind).entrySet()) out = out.with(kind, e.getKey(), e.getValue());
    return out;
  }

  /**
   * {@code current}'s trees in canonical form. When the whole does not validate (a key written by
   * hand that the gateways refuse), each resource is made canonical in the context of {@code
   * desired} instead, and one that still does not bind is compared as stored, with a note.
   */
  private static Map<String, Map<String, JsonNode>> canonical(
      RoutingModel current, RoutingModel desired, BulwarkConfig bootstrap, List<String> notes) {
    try {
      return RoutingModel.fromConfig(current.toConfig(bootstrap), current.layout()).trees();
    } catch (ConfigException whole) {
      notes.add(
          "what etcd holds now does not validate as a whole ("
              + whole.errors().size()
              + " error(s), first: "
              + whole.errors().get(0)
              + ")");
    }
    Map<String, Map<String, JsonNode>> out = new LinkedHashMap<>();
    for (String kind : ResourceKinds.ALL) {
      Map<String, JsonNode> trees = new TreeMap<>();
      current
          .trees(kind)
          .forEach(
              (name, tree) -> {
                JsonNode c = canonicalOne(desired, kind, name, tree, bootstrap);
                if (c == null) {
                  notes.add(
                      current.layout().key(kind, name)
                          + " does not bind: compared as stored (fields left at their default may"
                          + " show as changes)");
                  c = tree;
                }
                trees.put(name, c);
              });
      out.put(kind, trees);
    }
    return out;
  }

  /**
   * {@code tree} as {@code kind/name} in canonical form, bound next to {@code context}; or null.
   */
  private static JsonNode canonicalOne(
      RoutingModel context, String kind, String name, JsonNode tree, BulwarkConfig bootstrap) {
    try {
      RoutingModel one = context.with(kind, name, tree);
      RoutingModel.Entry e =
          RoutingModel.fromConfig(one.toConfig(bootstrap), context.layout()).entry(kind, name);
      return e == null ? null : e.tree();
    } catch (ConfigException | IllegalArgumentException e) {
      return null;
    }
  }
}
