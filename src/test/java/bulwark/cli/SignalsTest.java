package bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The signal handlers are in place before the gateway starts; what they receive meanwhile is not
 * lost.
 */
class SignalsTest {
  @Test
  void signalsThatComeWhileTheGatewayStartsAreActedOnOnceItHasStarted() throws Exception {
    RunCommand.Signals s = new RunCommand.Signals();
    s.hup(); // the gateway is not there yet
    s.stop();
    List<String> reloads = new CopyOnWriteArrayList<>();
    AtomicInteger shutdowns = new AtomicInteger();
    s.await(
        new RunCommand.Signals.Actions(
            reloads::add, shutdowns::incrementAndGet)); // returns once drained
    assertThat(shutdowns).hasValue(1);
    await().atMost(Duration.ofSeconds(30)).until(() -> reloads.size() == 1);
    assertThat(reloads).containsExactly("SIGHUP");
  }

  @Test
  void aSecondSigtermDoesNotEndTheWaitWhileTheFirstDrains() throws Exception {
    RunCommand.Signals s = new RunCommand.Signals();
    CountDownLatch draining = new CountDownLatch(1);
    CountDownLatch finishDrain = new CountDownLatch(1);
    AtomicInteger shutdowns = new AtomicInteger();
    CountDownLatch returned = new CountDownLatch(1);
    Thread main =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    s.await(
                        new RunCommand.Signals.Actions(
                            r -> {},
                            () -> {
                              shutdowns.incrementAndGet();
                              draining.countDown();
                              try {
                                finishDrain.await(60, TimeUnit.SECONDS);
                              } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                              }
                            }));
                    returned.countDown();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                });
    await().atMost(Duration.ofSeconds(30)).until(() -> main.getState() == Thread.State.WAITING);
    s.stop();
    assertThat(draining.await(30, TimeUnit.SECONDS)).isTrue();
    s.stop(); // the second SIGTERM while the first drains
    assertThat(returned.await(300, TimeUnit.MILLISECONDS)).as("returned while draining").isFalse();
    finishDrain.countDown();
    assertThat(returned.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(shutdowns).hasValue(1);
  }
}
