package bulwark.config;

import java.util.List;

public record UpstreamTlsConfig(
    @Doc(
            value =
                "PEM files with the certificate authorities trusted for the targets' certificates (each file may hold several). Empty: the JVM's default trust store.",
            unit = "file list")
        List<String> ca,
    @Doc(
            value =
                "The name sent as SNI and checked against the target's certificate, instead of the target URL's host. The Host header sent upstream is then this name too.")
        String serverName,
    @Doc(
            value =
                "PEM file with a client certificate (and its chain) presented to targets that ask for one (mutual TLS). Needs key.",
            unit = "file")
        String cert,
    @Doc(value = "PEM file with the client certificate's private key. Needs cert.", unit = "file")
        String key,
    @Doc(
            value =
                "Verify the target's certificate chain and host name. false trusts any certificate: for tests only.",
            dflt = "true")
        boolean verify) {}
