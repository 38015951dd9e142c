package bulwark.fleet;

/**
 * One change a watch reports. For a {@link Type#DELETE}, {@code kv} holds the key and the deleting
 * revision as its mod revision, and an empty value.
 */
public record WatchEvent(Type type, KeyValue kv) {
  public enum Type {
    PUT,
    DELETE
  }
}
