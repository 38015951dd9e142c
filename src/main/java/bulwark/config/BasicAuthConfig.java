package bulwark.config;

import java.time.Duration;
import java.util.Map;

/** HTTP Basic authentication against bcrypt hashes. */
public record BasicAuthConfig(
    @Doc(value = "Realm sent in WWW-Authenticate: Basic realm=\"...\".", dflt = "bulwark")
        String realm,
    @Doc(
            value =
                "User name to its bcrypt hash ($2a$, $2b$ or $2y$; make one with `htpasswd -nbB USER PASSWORD`). The user name becomes the consumer.",
            unit = "map of name to bcrypt hash",
            required = true)
        Map<String, String> users,
    @Doc(
            value =
                "How long a successful verification is remembered (by a SHA-256 of the presented credentials), so repeat requests skip bcrypt. 0s: never remembered.",
            unit = "duration",
            dflt = "60s")
        Duration cacheFor,
    @Doc(
            value = "Most verifications remembered; the least recently used are dropped past it.",
            dflt = "10000")
        int maxCached,
    @Doc(
            value = "Send the Authorization header upstream too. By default it is removed.",
            dflt = "false")
        boolean keepCredential) {}
