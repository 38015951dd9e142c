package bulwark.config;

public record AdminConfig(
    @Doc(value = "Address and port of the admin listener. A non-loopback address requires a token of at least 32 characters.", unit = "host:port", dflt = "127.0.0.1:9901") String listen,
    @Doc(value = "Bearer token required on every admin request when set. Empty: no token, allowed only on a loopback address. Never logged.", dflt = "") String token) {}
