package bulwark.config;

import static bulwark.config.ConfigTesting.errors;
import static bulwark.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Validation of the apiKey, basicAuth, cors and ipRules middlewares and the new rate-limit keys.
 */
class AccessConfigTest {
  static final String HASH =
      "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"; // sha256("secret")
  static final String BCRYPT = "$2y$10$yVElUAwe2U8f6Vyxk/4Fbu21Rl57urooIJ5D2GV8v6COtFy556P4m";

  @Test
  void validAccessMiddlewaresLoad() throws Exception {
    BulwarkConfig c =
        load(
            """
        middlewares:
          keys: { apiKey: { query: api_key, consumers: { alice: [%s] } } }
          basic: { basicAuth: { realm: ops, users: { bob: "%s" } } }
          cors: { cors: { allowOrigins: ["https://app.example.com", "https://*.example.org:8443"], allowCredentials: true } }
          ips: { ipRules: { allow: ["10.0.0.0/8", "2001:db8::/32"], deny: ["10.1.0.0/16"] } }
          perConsumer: { rateLimit: { key: consumer, rate: 10/s } }
          perTenant: { rateLimit: { key: "claim:tenant", rate: 10/s } }
        """
                .formatted(HASH, BCRYPT));
    assertThat(c.middlewares().get("keys").apiKey().header()).isEqualTo("X-API-Key");
    assertThat(c.middlewares().get("keys").apiKey().consumers())
        .containsEntry("alice", java.util.List.of(HASH));
    assertThat(c.middlewares().get("basic").basicAuth().cacheFor()).hasSeconds(60);
    assertThat(c.middlewares().get("cors").cors().allowMethods()).contains("GET", "DELETE");
    assertThat(c.middlewares().get("cors").cors().maxAge()).hasMinutes(10);
  }

  @Test
  void plaintextKeysAndPasswordsAreRefused() {
    assertThat(
            errors(
                """
        middlewares:
          keys: { apiKey: { consumers: { alice: [my-secret-key], bob: [%s], carol: ["%s"] } } }
          basic: { basicAuth: { users: { bob: hunter2, "a:b": "%s" } } }
        """
                    .formatted(HASH, HASH.toUpperCase(), BCRYPT)))
        .containsExactlyInAnyOrder(
            "middlewares.keys.apiKey.consumers.alice[0]: not a SHA-256 hex digest (64 hex digits): store the hash of the key, never the key itself (printf %s KEY | sha256sum)",
            "middlewares.keys.apiKey.consumers.carol[0]: the same key hash is already listed for consumer 'bob'",
            "middlewares.basic.basicAuth.users.bob: not a bcrypt hash ($2y$10$ followed by 53 characters): store the hash, never the password (htpasswd -nbB USER PASSWORD)",
            "middlewares.basic.basicAuth.users.a:b: a user name must not be empty or contain ':'");
  }

  @Test
  void anApiKeyNeedsSomewhereToComeFrom() {
    assertThat(
            errors(
                "middlewares:\n  k: { apiKey: { header: \"\", consumers: { a: [%s] } } }\n"
                    .formatted(HASH)))
        .containsExactly("middlewares.k.apiKey: set header or query: where the key is read from");
  }

  @Test
  void corsNeverPairsAnyOriginWithCredentials() {
    assertThat(
            errors(
                """
        middlewares:
          c: { cors: { allowOrigins: ["*", "app.example.com", "https://x.com/path"], allowCredentials: true, allowMethods: [get] } }
        """))
        .containsExactlyInAnyOrder(
            "middlewares.c.cors.allowOrigins[0]: * cannot be used with allowCredentials: list the origins",
            "middlewares.c.cors.allowOrigins[1]: 'app.example.com' must be *, scheme://host[:port] or scheme://*.domain[:port], without a path",
            "middlewares.c.cors.allowOrigins[2]: 'https://x.com/path' must be *, scheme://host[:port] or scheme://*.domain[:port], without a path",
            "middlewares.c.cors.allowMethods[0]: 'get' is not an upper-case HTTP method");
  }

  @Test
  void ipRulesNeedParsableNetworks() {
    assertThat(
            errors("middlewares:\n  i: { ipRules: { allow: [\"10.0.0.0/33\"], deny: [cafe] } }\n"))
        .containsExactly(
            "middlewares.i.ipRules.allow[0]: '10.0.0.0/33' has a prefix longer than 32",
            "middlewares.i.ipRules.deny[0]: 'cafe' is not an IP address or CIDR");
    assertThat(errors("middlewares:\n  i: { ipRules: {} }\n"))
        .containsExactly("middlewares.i.ipRules: set allow, deny or both");
  }

  @Test
  void rateLimitKeysIncludeConsumerAndClaims() {
    assertThat(errors("middlewares:\n  r: { rateLimit: { key: user, rate: 1/s } }\n"))
        .containsExactly(
            "middlewares.r.rateLimit.key: 'user' must be client_ip, route, header:NAME, consumer or claim:NAME");
  }
}
