package bulwark.config;

import java.util.List;

public record TlsConfig(
    @Doc(
            value =
                "Certificate and private key pairs, PEM files. With several, the one whose names (subject alternative names, else common name) match the server name the client sends (SNI) is chosen; the first is used when none matches or the client sends no name. The files are read again when they change on disk (no restart, no reload needed).",
            required = true)
        List<CertificateConfig> certificates,
    @Doc(
            value =
                "The lowest TLS version accepted. TLS 1.0 and 1.1 are never accepted; TLS 1.3 is always offered.",
            dflt = "TLSv1.2")
        TlsVersion minVersion,
    @Doc(
            value =
                "Adds Strict-Transport-Security to every response sent over TLS (never over plain HTTP). Absent: no such header is added.",
            section = true)
        HstsConfig hsts) {}
