package bulwark.config;

import java.util.List;
import java.util.Map;

/**
 * API keys: a key from a header or a query parameter, known only by its SHA-256, names a consumer.
 */
public record ApiKeyConfig(
    @Doc(
            value = "Header the key is read from. Empty: the header is not looked at (use query).",
            dflt = "X-API-Key")
        String header,
    @Doc(
            value =
                "Query parameter the key is read from when the header is absent. Empty: keys in the URL are not accepted.")
        String query,
    @Doc(
            value =
                "Consumer name to its keys, each written as the lower-case SHA-256 hex of the key (64 characters; make one with `printf %s KEY | sha256sum`). Several keys per consumer allow rotation. The name goes to the access log and can key a rate limit.",
            unit = "map of name to list of SHA-256 hex",
            required = true)
        Map<String, List<String>> consumers,
    @Doc(
            value =
                "Send the key upstream too. By default the header and the query parameter are removed before the request goes upstream.",
            dflt = "false")
        boolean keepCredential) {}
