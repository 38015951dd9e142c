package bulwark.server;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import javax.management.ObjectName;

/**
 * Gives the heap back down to its live size once the warm-up is over: full collections with the
 * JVM's free-ratio limits lowered for a moment (MaxHeapFreeRatio 10%, MinHeapFreeRatio 5%; both
 * flags can be changed at run time), so the collector shrinks the heap that the warm-up's load grew
 * and returns the pages to the OS, then the limits as they were. The JVM damps a shrink over
 * successive collections (a few percent of the excess at the first, all of it by the fourth), hence
 * up to {@link #MAX_COLLECTIONS} of them, stopping as soon as the heap no longer shrinks. The heap
 * grows again with the load; the default flags start it small ({@code scripts/jvm.flags}). Without
 * those flags (another JVM) or with {@code -XX:+DisableExplicitGC}, one collection or none.
 *
 * <p>Then the C library's heap is trimmed ({@code jcmd PID System.trim_native_heap}, through the
 * JVM's DiagnosticCommand MBean): glibc keeps what the start and the warm-up freed in its arenas,
 * about 9 MB here, until told to give it back.
 */
final class HeapTrim {
  static final int MAX_COLLECTIONS = 8;

  private HeapTrim() {}

  /** What a trim did: the committed heap before and after, and the native trim's own report. */
  record Result(long heapBefore, long heapAfter, String nativeHeap) {}

  /** Trims the Java heap, then the native one. */
  static Result run() {
    long[] heap = trimJavaHeap();
    return new Result(heap[0], heap[1], trimNativeHeap());
  }

  /**
   * System.trim_native_heap: the JVM's report ("Trim native heap: RSS+Swap: 147M->137M"), or why
   * not ("Not available" where the C library cannot), or null when there is no such command.
   */
  static String trimNativeHeap() {
    try {
      Object r =
          ManagementFactory.getPlatformMBeanServer()
              .invoke(
                  new ObjectName("com.sun.management:type=DiagnosticCommand"),
                  "systemTrimNativeHeap",
                  new Object[] {new String[0]},
                  new String[] {String[].class.getName()});
      return r == null ? null : r.toString().strip();
    } catch (Exception | LinkageError e) {
      return null;
    }
  }

  /** Returns the committed heap before and after, in bytes. */
  private static long[] trimJavaHeap() {
    Runtime rt = Runtime.getRuntime();
    long before = rt.totalMemory();
    HotSpotDiagnosticMXBean hs = null;
    String min = null;
    String max = null;
    try {
      hs = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
      min = hs.getVMOption("MinHeapFreeRatio").getValue();
      max = hs.getVMOption("MaxHeapFreeRatio").getValue();
      // the JVM keeps min <= max at every step
      hs.setVMOption("MinHeapFreeRatio", "5");
      hs.setVMOption("MaxHeapFreeRatio", "10");
    } catch (RuntimeException e) {
      System.gc();
      return new long[] {before, rt.totalMemory()};
    }
    try {
      long last = before;
      for (int i = 0; i < MAX_COLLECTIONS; i++) {
        System.gc();
        long now = rt.totalMemory();
        if (i >= 3 && now >= last) break;
        last = now;
      }
    } finally {
      hs.setVMOption("MaxHeapFreeRatio", max);
      hs.setVMOption("MinHeapFreeRatio", min);
    }
    return new long[] {before, rt.totalMemory()};
  }
}
