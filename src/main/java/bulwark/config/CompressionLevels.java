package bulwark.config;

/** compression.levels: how hard each algorithm works (more: smaller output, more CPU). */
public record CompressionLevels(
    @Doc(
            value =
                "gzip level, 1 (fastest) to 9 (smallest). 6 is zlib's default (nginx's gzip_comp_level defaults to 1).",
            dflt = "6")
        int gzip,
    @Doc(
            value =
                "Brotli quality, 0 (fastest) to 11 (smallest). 4 costs about three quarters of gzip 6's CPU for output about 10% larger on JSON (docs/performance.md); 5 and up compress better than gzip 6 at more CPU; 10 and 11 are for static files, far too slow for live responses.",
            dflt = "4")
        int br) {}
