package bulwark.config;

import java.util.List;

/**
 * Response compression (docs/compression.md): gzip or Brotli, chosen by the client's
 * Accept-Encoding, applied chunk by chunk as the upstream's body streams through; optionally gzip
 * request bodies inflated for upstreams that cannot read them.
 */
public record CompressionConfig(
    @Doc(
            value =
                "The codings offered, br and/or gzip, in order of preference: of those the client accepts with the highest q-value, the first listed wins. When Brotli's native library cannot load on this machine, br falls back to gzip (logged once at WARN).",
            unit = "list of names",
            dflt = "[br, gzip]")
        List<CompressionAlgorithm> algorithms,
    @Doc(
            value =
                "Responses whose Content-Length is below this are sent as they are (compressing a few hundred bytes saves little and costs a round of CPU). A response of unknown length (chunked) is compressed.",
            unit = "size",
            dflt = "1KiB")
        ByteSize minSize,
    @Doc(
            value =
                "Media types to compress, matched against the response's Content-Type (parameters ignored, case-insensitive). A '*' stands for any run of characters in the subtype: text/*, application/*+json; */* matches every type.",
            unit = "list of media types",
            dflt =
                "[text/*, application/json, application/javascript, application/xml, \"application/*+json\", \"application/*+xml\", image/svg+xml]")
        List<String> types,
    @Doc("Compression level of each algorithm.") CompressionLevels levels,
    @Doc(
            value =
                "Inflate request bodies sent with Content-Encoding: gzip before they go upstream, for upstreams that cannot: Content-Encoding is removed and the body goes up chunked. The inflated body is held to server.limits.maxBodyBytes (413 past it); a body that is not valid gzip is answered 400.",
            dflt = "false")
        boolean decompressRequests) {}
