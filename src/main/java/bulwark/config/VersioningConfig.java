package bulwark.config;

public record VersioningConfig(
    @Doc(
            value = "Vendor in the media type: Accept: application/vnd.VENDOR.VERSION+json.",
            required = true)
        String vendor,
    @Doc(value = "The version used when a request names none.", required = true, key = "default")
        String defaultVersion) {}
