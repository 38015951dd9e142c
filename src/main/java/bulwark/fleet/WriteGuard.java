package bulwark.fleet;

import java.util.ArrayList;
import java.util.List;

/**
 * The conditions under which a write validated against the model at {@code revision} may commit: no
 * key of any resource kind (nor the settings) was created or changed after it, and no other Bulwark
 * writer (admin API or {@code bulwark apply}) committed after it. Every Bulwark write also puts the
 * guard key ({@code <prefix>/meta/writes}), so a concurrent delete by another Bulwark writer, which
 * a range compare cannot see, is caught too. Deletes made by hand (etcdctl) are the one thing it
 * cannot see; the gateways still validate every change before they serve it.
 *
 * <p>Both writers (the admin {@code /config} API and the CLI) use this one class, so they guard
 * each other.
 */
public record WriteGuard(ResourceLayout layout, long revision) {
  /** The key every Bulwark write puts; its mod revision is the last Bulwark write. */
  public String guardKey() {
    return layout.prefix() + "/meta/writes";
  }

  /** The compares a transaction built on the model read at {@link #revision} must carry. */
  public List<Compare> compares() {
    List<Compare> out = new ArrayList<>();
    for (String kind : ResourceKinds.NAMED)
      out.add(Compare.unchangedSince(layout.kindPrefix(kind), revision));
    out.add(
        new Compare(
            layout.key(ResourceKinds.SETTINGS, null), null, Compare.Result.LESS, revision + 1));
    out.add(new Compare(guardKey(), null, Compare.Result.LESS, revision + 1));
    return out;
  }

  /** The guard key's new value, naming the writer for someone reading etcd by hand. */
  public TxnOp.Put mark(String what) {
    String json =
        "{\"by\":\"bulwark\",\"what\":\""
            + what.replace("\\", "\\\\").replace("\"", "\\\"")
            + "\"}";
    return TxnOp.Put.of(guardKey(), json);
  }
}
