package bulwark.config;

import java.time.Duration;

public record TimeoutsConfig(
    @Doc(value = "Time to open a connection to a target. Over it: 502 problem+json.", unit = "duration", dflt = "1s") Duration connect,
    @Doc(value = "Time from sending the request to the first byte of the response head. Over it: 504 problem+json.", unit = "duration", dflt = "15s") Duration response,
    @Doc(value = "A pooled upstream connection idle this long is closed.", unit = "duration", dflt = "60s") Duration idle) {}
