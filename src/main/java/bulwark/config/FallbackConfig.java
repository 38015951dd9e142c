package bulwark.config;

import java.util.Map;

/** What an open circuit breaker answers on a route: a static response, or another upstream. */
public record FallbackConfig(
    @Doc(value = "Status of the static response.", dflt = "200") int status,
    @Doc("Headers of the static response.") Map<String, String> headers,
    @Doc("Body of the static response.") String body,
    @Doc("Send the request to this upstream instead (no static response then).") String upstream) {}
