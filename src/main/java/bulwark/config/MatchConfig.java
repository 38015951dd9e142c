package bulwark.config;

import java.util.List;
import java.util.Map;

public record MatchConfig(
    @Doc(
            value =
                "Path pattern: exact segments, {param}, * (one segment) and ** (the rest, last only).",
            required = true)
        String path,
    @Doc("Allowed methods. Empty: any method.") List<String> methods,
    @Doc(
            "Host, exact (api.example.com) or one leading wildcard label (*.example.com). The port is ignored.")
        String host,
    @Doc(
            "Headers that must be present with this value; a value written regex:EXPR must match EXPR as a whole.")
        java.util.Map<String, String> headers,
    @Doc("Query parameters that must be present with this value; regex:EXPR as for headers.")
        Map<String, String> query) {}
