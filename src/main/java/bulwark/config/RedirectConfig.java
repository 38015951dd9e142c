package bulwark.config;

/**
 * A redirect answered at the gateway (never forwarded): a Location built from the request's own URL
 * (its scheme and host as the gateway resolves them, X-Forwarded-Proto and X-Forwarded-Host from a
 * trusted proxy included) with the configured parts replaced. A request whose URL would not change
 * (an https request under a scheme: https redirect) passes on.
 */
public record RedirectConfig(
    @Doc("The scheme of the Location (http or https). Absent: the request's.")
        RedirectScheme scheme,
    @Doc(value = "The host of the Location. Absent: the request's.", unit = "host name")
        String host,
    @Doc(
            value =
                "The port of the Location, 1 to 65535, left out when it is the scheme's default. 0 (absent): the request's port, or the scheme's default when the scheme changes.",
            dflt = "0")
        int port,
    @Doc(value = "Replace a leading part of the path (not with path).", section = true)
        RedirectPrefixConfig prefix,
    @Doc(
            value = "Replace the whole path with this one, starting with '/' (not with prefix).",
            unit = "path")
        String path,
    @Doc(
            value =
                "301, 302, 307 or 308. The default, 308, is permanent and keeps the method and body (a POST stays a POST); 301 and 302 let clients turn a POST into a GET.",
            dflt = "308")
        int status,
    @Doc(value = "Keep the request's query string on the Location.", dflt = "true")
        boolean keepQuery) {}
