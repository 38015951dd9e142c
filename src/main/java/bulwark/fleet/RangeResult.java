package bulwark.fleet;

import java.util.List;

/**
 * The keys a range read, sorted by key, and the store's revision it was read at (from the response
 * header): a watch from {@code revision + 1} misses nothing.
 */
public record RangeResult(long revision, List<KeyValue> kvs) {}
