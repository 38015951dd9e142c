package bulwark.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What it takes to turn one routing config into another, per resource: added, changed (with a
 * field-level {@link TreeDiff}), removed, or, when removals are not wanted, kept. Resources are
 * compared by kind and name ({@code settings} is one resource of its own); route order does not
 * matter.
 */
public record ModelDiff(List<Change> changes) {
  public enum Op {
    ADD("+"),
    CHANGE("~"),
    REMOVE("-"),
    /** In etcd, not in the file, and not pruned. */
    KEEP("=");

    final String mark;

    Op(String mark) {
      this.mark = mark;
    }
  }

  /** One resource's change; {@code after} is null for REMOVE and KEEP. */
  public record Change(String kind, String name, Op op, JsonNode after, List<String> fields) {}

  /**
   * The changes from {@code current} to {@code desired}, both kind -> name -> tree; resources only
   * in {@code current} are removed when {@code prune}, kept otherwise.
   */
  public static ModelDiff of(
      Map<String, Map<String, JsonNode>> current,
      Map<String, Map<String, JsonNode>> desired,
      boolean prune) {
    List<Change> out = new ArrayList<>();
    for (String kind : ResourceKinds.ALL) {
      Map<String, JsonNode> before = new TreeMap<>(current.getOrDefault(kind, Map.of()));
      Map<String, JsonNode> after = new TreeMap<>(desired.getOrDefault(kind, Map.of()));
      after.forEach(
          (name, tree) -> {
            JsonNode old = before.get(name);
            if (old == null) out.add(new Change(kind, name, Op.ADD, tree, List.of()));
            else if (!old.equals(tree))
              out.add(new Change(kind, name, Op.CHANGE, tree, TreeDiff.of(old, tree)));
          });
      before.forEach(
          (name, tree) -> {
            if (!after.containsKey(name))
              out.add(new Change(kind, name, prune ? Op.REMOVE : Op.KEEP, null, List.of()));
          });
    }
    return new ModelDiff(List.copyOf(out));
  }

  /** Whether applying it would write anything (kept resources are no change). */
  public boolean empty() {
    return changes.stream().allMatch(c -> c.op() == Op.KEEP);
  }

  public long count(Op op) {
    return changes.stream().filter(c -> c.op() == op).count();
  }

  /**
   * The diff for a terminal: one line per resource ("+ routes/orders"), the changed fields indented
   * under a changed one, then a summary line.
   */
  public String render() {
    StringBuilder sb = new StringBuilder();
    for (Change c : changes) {
      sb.append(c.op().mark).append(' ').append(c.kind()).append('/').append(c.name());
      if (c.op() == Op.KEEP) sb.append("  (in etcd, not in the file: kept; --prune removes it)");
      sb.append('\n');
      for (String f : c.fields()) sb.append("    ").append(f).append('\n');
    }
    sb.append(count(Op.ADD))
        .append(" to add, ")
        .append(count(Op.CHANGE))
        .append(" to change, ")
        .append(count(Op.REMOVE))
        .append(" to remove");
    if (count(Op.KEEP) > 0) sb.append(", ").append(count(Op.KEEP)).append(" kept (not pruned)");
    return sb.append('\n').toString();
  }
}
