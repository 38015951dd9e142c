package bulwark.config;

import java.util.List;

public record AdminConfig(
    @Doc(
            value =
                "Address and port of the admin listener. A non-loopback address requires a token of at least 32 characters.",
            unit = "host:port",
            dflt = "127.0.0.1:9901")
        String listen,
    @Doc(
            value =
                "Bearer token required on every admin request when set (POST /alerts takes remediation.webhookToken instead). Empty: no token, allowed only on a loopback address, and then only requests whose Host is a loopback name or address, or one in allowedHosts, are answered. Never logged. To take it from the environment, write token: \"${BULWARK_ADMIN_TOKEN}\".",
            dflt = "")
        String token,
    @Doc(
            value =
                "A second bearer token that may only read: accepted on every admin GET and HEAD (the whole admin API but POST /alerts). Same rules as token: at least 32 characters on a non-loopback listener, and it must differ from token. Never logged.",
            dflt = "")
        String readToken,
    @Doc(
            value =
                "Host names or addresses, besides loopback ones (localhost, 127.0.0.0/8, [::1]), whose requests the admin API answers when no token and no readToken is set; any other Host gets 421 (a defence against DNS rebinding). Names without a port, compared case-insensitively.",
            unit = "host list",
            dflt = "[]")
        List<String> allowedHosts) {

  /** Never prints the tokens (a record's own toString would). */
  @Override
  public String toString() {
    return "AdminConfig[listen="
        + listen
        + ", token="
        + redacted(token)
        + ", readToken="
        + redacted(readToken)
        + ", allowedHosts="
        + allowedHosts
        + "]";
  }

  static String redacted(String secret) {
    return secret == null ? "null" : secret.isEmpty() ? "" : "[REDACTED]";
  }
}
