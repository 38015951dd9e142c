package bulwark.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

class HeapTrimTest {
  @Test
  void theHeapDoesNotGrowAndTheFreeRatiosAreAsTheyWere() {
    HotSpotDiagnosticMXBean hs = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    String min = hs.getVMOption("MinHeapFreeRatio").getValue();
    String max = hs.getVMOption("MaxHeapFreeRatio").getValue();
    // some garbage for the collections to find
    byte[][] junk = new byte[64][];
    for (int i = 0; i < junk.length; i++) junk[i] = new byte[256 * 1024];
    assertThat(junk[63]).hasSize(256 * 1024);
    junk = null;

    HeapTrim.Result r = HeapTrim.run();

    assertThat(r.heapAfter()).isLessThanOrEqualTo(r.heapBefore());
    // on Linux the C library's heap is trimmed too, and the JVM says by how much
    if (System.getProperty("os.name").equals("Linux"))
      assertThat(r.nativeHeap()).startsWith("Trim native heap");
    // lowered only for the trim: the serving heap grows and shrinks as the JVM was told
    assertThat(hs.getVMOption("MinHeapFreeRatio").getValue()).isEqualTo(min);
    assertThat(hs.getVMOption("MaxHeapFreeRatio").getValue()).isEqualTo(max);
  }
}
