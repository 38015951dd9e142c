package bulwark.fleet;

import java.nio.charset.StandardCharsets;

/**
 * One etcd key with its value and revisions, as a range or a watch reports it.
 *
 * @param createRevision the revision that created the key (0 for a deleted key in a watch event)
 * @param modRevision the revision of its last change; a compare on it is optimistic concurrency
 * @param lease the lease the key is attached to, 0 for none
 */
public record KeyValue(
    String key, byte[] value, long createRevision, long modRevision, long version, long lease) {

  /** The value as UTF-8 text. */
  public String text() {
    return new String(value, StandardCharsets.UTF_8);
  }
}
