package bulwark.config;

/**
 * @Doc texts shared by the jwt and introspection middlewares (annotation values must be constants).
 */
final class AuthDocs {
  private AuthDocs() {}

  static final String TOKEN =
      "Where the token is read: header (Authorization: Bearer), cookie:NAME or query:NAME.";
  static final String REQUIRE_SCOPES =
      "Scopes every token must have (space-separated scope claim, or an scp list); one missing: 403 insufficient_scope.";
  static final String USER_SCOPES = "Scopes a user token must have as well (see clientRule).";
  static final String CLIENT_SCOPES =
      "Scopes a client (client-credentials) token must have as well (see clientRule).";
  static final String REQUIRE_CLAIMS =
      "Claim name to the value it must have (a string, or one element of a list claim); a mismatch: 403.";
  static final String ALLOW =
      "Which kinds of caller pass: user, client or both. The other kind gets 403.";
  static final String CLIENT_RULE =
      "How a client (machine) token is told from a user token. auto: no sub, or sub equal to client_id (or azp); claim:NAME=VALUE: that claim has that value.";
  static final String FORWARD_CLAIMS =
      "Claim name to upstream request header. The header is always removed from the incoming request first (no spoofing), also when the claim is absent; a list claim is joined with commas.";
}
