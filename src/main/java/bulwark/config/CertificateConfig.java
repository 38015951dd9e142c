package bulwark.config;

public record CertificateConfig(
    @Doc(
            value =
                "PEM file with the certificate, followed by its intermediate certificates (the chain to send). A relative path is relative to the working directory.",
            unit = "file",
            required = true)
        String cert,
    @Doc(
            value =
                "PEM file with the certificate's private key (PKCS#8 `BEGIN PRIVATE KEY`, or PKCS#1 `BEGIN RSA PRIVATE KEY`). A relative path is relative to the working directory.",
            unit = "file",
            required = true)
        String key) {}
