package bulwark.server;

import java.net.BindException;
import java.net.SocketException;
import java.util.Locale;

/**
 * A listener could not open its address: the message names the listener, the address and the config
 * field that sets it, and says why in words, e.g. {@code the data listener cannot listen on
 * 127.0.0.1:8080 (server.listen): the address is already in use by another process}.
 */
public final class ListenException extends Exception {
  public ListenException(String listener, String address, String field, Throwable cause) {
    super(
        "the "
            + listener
            + " cannot listen on "
            + address
            + (field == null ? "" : " (" + field + ")")
            + ": "
            + reason(cause),
        cause);
  }

  /** Whether this failure is the socket's bind or listen (rather than, say, a config error). */
  public static boolean isListenFailure(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof BindException || c instanceof SocketException) return true;
      // Netty's native transport: Errors.NativeIoException "bind(..) failed: Address already in
      // use"
      String m = c.getMessage();
      if (c instanceof java.io.IOException
          && m != null
          && (m.startsWith("bind(") || m.startsWith("listen("))) return true;
    }
    return false;
  }

  /** The reason, in words, from the innermost socket error. */
  static String reason(Throwable t) {
    String msg = null;
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c.getMessage() != null) msg = c.getMessage();
    }
    String m = msg == null ? String.valueOf(t) : msg.toLowerCase(Locale.ROOT);
    if (m.contains("address already in use"))
      return "the address is already in use by another process (or another listener of this config)";
    if (m.contains("permission denied"))
      return "permission denied (ports below 1024 need privileges)";
    if (m.contains("cannot assign requested address")) return "no local interface has that address";
    return msg == null ? String.valueOf(t) : msg;
  }
}
