package bulwark.config;

import java.util.List;

/** Allow and deny lists applied to the real client IP (after trusted proxies). */
public record IpRulesConfig(
    @Doc(
            value =
                "Networks (CIDR or address, IPv4 or IPv6) allowed. Empty: every address not denied is allowed.",
            unit = "CIDR list")
        List<String> allow,
    @Doc(
            value =
                "Networks (CIDR or address, IPv4 or IPv6) refused with 403. Deny wins over allow.",
            unit = "CIDR list")
        List<String> deny) {}
