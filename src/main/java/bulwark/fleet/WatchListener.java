package bulwark.fleet;

import java.util.List;

/**
 * What a watch reports, in order, on the client's event loop. After {@link #compacted} or {@link
 * #failed} the watch has ended: the caller re-reads (after a compaction) or starts a new watch from
 * the revision after the last one it saw.
 */
public interface WatchListener {
  /**
   * One batch of changes, all of one or more revisions, in revision order; {@code revision} is the
   * store's revision in the response header (at least the last event's).
   */
  void events(long revision, List<WatchEvent> events);

  /**
   * The revision asked for was compacted: events from it are gone, everything must be re-read.
   * {@code compactRevision} is the oldest revision still available.
   */
  void compacted(long compactRevision);

  /**
   * etcd created the watch: from here on every change from the revision asked for is reported.
   * {@code revision} is the store's revision when it did.
   */
  default void created(long revision) {}

  /** The watch ended: the connection failed or closed, or etcd cancelled it. */
  void failed(Throwable cause);
}
