package bulwark.fleet;

/**
 * One condition of a {@link EtcdClient#txn transaction}: a key's (or every key in a range's) mod
 * revision compared with a number.
 *
 * @param rangeEnd null for one key; else the condition holds for every existing key in {@code [key,
 *     rangeEnd)}
 */
public record Compare(String key, String rangeEnd, Result result, long modRevision) {
  public enum Result {
    EQUAL,
    NOT_EQUAL,
    GREATER,
    LESS
  }

  /** The key was last changed at {@code modRevision} (an ETag / If-Match check). */
  public static Compare modRevision(String key, long modRevision) {
    return new Compare(key, null, Result.EQUAL, modRevision);
  }

  /** The key does not exist (etcd reports mod revision 0 for an absent key). */
  public static Compare absent(String key) {
    return new Compare(key, null, Result.EQUAL, 0);
  }

  /**
   * No key under {@code prefix} was created or changed after {@code revision}. etcd compares the
   * keys that exist: a key deleted after {@code revision} is not seen by this condition, so a
   * writer that must also notice deletions adds {@link #modRevision} for each key it read.
   */
  public static Compare unchangedSince(String prefix, long revision) {
    return new Compare(prefix, EtcdClient.prefixEnd(prefix), Result.LESS, revision + 1);
  }
}
