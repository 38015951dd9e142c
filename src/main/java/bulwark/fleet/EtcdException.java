package bulwark.fleet;

/**
 * An error etcd answered (its gRPC code and message), or no endpoint could be reached ({@code code}
 * -1).
 */
public final class EtcdException extends RuntimeException {
  /** gRPC status codes etcd's gateway uses. */
  static final int UNAVAILABLE = 14;

  static final int UNAUTHENTICATED = 16;

  private final int code;

  public EtcdException(int code, String message) {
    super(message);
    this.code = code;
  }

  public int code() {
    return code;
  }

  /** The gateway was unreachable or etcd had no quorum: another endpoint may do better. */
  boolean unavailable() {
    return code == -1 || code == UNAVAILABLE;
  }
}
