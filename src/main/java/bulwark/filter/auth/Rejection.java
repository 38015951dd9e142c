package bulwark.filter.auth;

/**
 * Why a token was refused: the HTTP status, the RFC 6750 error code (null: none, as for a request
 * without a token) and a short description safe to put in a quoted header parameter. Thrown by the
 * token parsing and checking code; nothing else escapes it.
 */
public final class Rejection extends Exception {
  public final int status;
  public final String error;
  public final String scope;

  public Rejection(int status, String error, String description) {
    this(status, error, description, null);
  }

  public Rejection(int status, String error, String description, String scope) {
    super(description, null, false, false);
    this.status = status;
    this.error = error;
    this.scope = scope;
  }

  static Rejection invalid(String description) {
    return new Rejection(401, "invalid_token", description);
  }

  static Rejection forbidden(String description, String scope) {
    return new Rejection(403, "insufficient_scope", description, scope);
  }

  /** The WWW-Authenticate value (RFC 6750 section 3). */
  public String challenge() {
    StringBuilder b = new StringBuilder("Bearer realm=\"bulwark\"");
    if (error != null) {
      b.append(", error=\"").append(error).append('"');
      b.append(", error_description=\"").append(quoteSafe(getMessage())).append('"');
    }
    if (scope != null) b.append(", scope=\"").append(quoteSafe(scope)).append('"');
    return b.toString();
  }

  private static String quoteSafe(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      // RFC 6750: error_description is %x20-21 / %x23-5B / %x5D-7E
      b.append(c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' ? c : '?');
    }
    return b.toString();
  }
}
