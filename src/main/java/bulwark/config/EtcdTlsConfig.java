package bulwark.config;

/** TLS to etcd's client URLs. */
public record EtcdTlsConfig(
    @Doc(
            value =
                "PEM file with the certificate authorities trusted for etcd's certificate. Empty: the JVM's default trust store.",
            unit = "file")
        String ca,
    @Doc(
            value =
                "PEM file with a client certificate presented to etcd (--client-cert-auth). Needs key.",
            unit = "file")
        String cert,
    @Doc(value = "PEM file with the client certificate's private key. Needs cert.", unit = "file")
        String key) {}
