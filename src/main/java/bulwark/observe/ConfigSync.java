package bulwark.observe;

import java.util.List;
import java.util.Locale;

/**
 * How one sync of the routing config with a remote source (etcd) ended: a read or a watch batch
 * applied (also when it left the config as it was), refused (it does not validate; the config
 * before it keeps serving) or failed (etcd could not be reached or the watch ended).
 *
 * @param source where the config comes from: "etcd"
 * @param revision the etcd revision of the change synced (for an error, the one served)
 * @param served the etcd revision of the config served after this sync
 * @param keys for a refused change, the etcd keys its errors name (sorted); else empty
 * @param errors why it was refused or failed; else empty
 */
public record ConfigSync(
    String source,
    Result result,
    long revision,
    long served,
    List<String> keys,
    List<String> errors) {

  public enum Result {
    APPLIED,
    REFUSED,
    ERROR;

    /** The metric label and audit value: applied, refused, error. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public ConfigSync {
    keys = List.copyOf(keys);
    errors = List.copyOf(errors);
  }
}
