package bulwark.fleet;

import java.util.ArrayList;
import java.util.List;

/**
 * The conditions under which a write validated against the model at {@code revision} may commit:
 * no key of any resource kind (and not the settings) was created or changed after it, and no other
 * Bulwark writer (admin API or apply) committed after it: every Bulwark write also puts the guard
 * key ({@code <prefix>/meta/writes}), so a concurrent delete, which a range compare cannot see, is
 * caught too. Deletes made by hand (etcdctl) are the one thing it cannot see; the gateways still
 * validate every change before they serve it.
 */
record WriteGuard(String prefix, long revision) {
  /** The key every Bulwark write puts, whose mod revision is the last Bulwark write. */
  static String guardKey(String prefix) {
    return prefix + "/meta/writes";
  }

  List<Compare> compares() {
    List<Compare> out = new ArrayList<>();
    for (String kind : ResourceKinds.NAMED)
      out.add(Compare.unchangedSince(prefix + "/" + kind + "/", revision));
    out.add(new Compare(ResourceKinds.key(prefix, ResourceKinds.SETTINGS, null), null,
        Compare.Result.LESS, revision + 1));
    out.add(new Compare(guardKey(prefix), null, Compare.Result.LESS, revision + 1));
    return out;
  }

  /** The guard key's new value: what wrote, for someone reading etcd by hand. */
  TxnOp.Put mark(String what) {
    return TxnOp.Put.of(guardKey(prefix), "{\"by\":\"bulwark\",\"what\":\"" + what + "\"}");
  }
}
