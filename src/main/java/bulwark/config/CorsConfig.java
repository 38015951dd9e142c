package bulwark.config;

import java.time.Duration;
import java.util.List;

/**
 * Cross-origin resource sharing: preflights answered at the gateway, Access-Control-* on responses.
 */
public record CorsConfig(
    @Doc(
            value =
                "Origins allowed, each exact (https://app.example.com), a subdomain pattern (https://*.example.com, which matches any depth of subdomain but not example.com itself) or * for any origin (not with allowCredentials).",
            unit = "list",
            required = true)
        List<String> allowOrigins,
    @Doc(
            value = "Methods a preflight may ask for, sent in Access-Control-Allow-Methods.",
            dflt = "[GET, HEAD, POST, PUT, PATCH, DELETE]")
        List<String> allowMethods,
    @Doc(
            value =
                "Request headers a preflight may ask for, sent in Access-Control-Allow-Headers (case-insensitive). * allows whatever the preflight asks for.")
        List<String> allowHeaders,
    @Doc(
            value =
                "Response headers the browser may show to the page, sent in Access-Control-Expose-Headers.")
        List<String> exposeHeaders,
    @Doc(
            value =
                "Send Access-Control-Allow-Credentials: true (cookies and Authorization may be sent). The allowed origin is then always echoed, never *.",
            dflt = "false")
        boolean allowCredentials,
    @Doc(
            value =
                "How long the browser may cache a preflight answer (Access-Control-Max-Age, whole seconds).",
            unit = "duration",
            dflt = "10m")
        Duration maxAge) {}
