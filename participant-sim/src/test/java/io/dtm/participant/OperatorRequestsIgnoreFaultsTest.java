package io.dtm.participant;

import io.dtm.config.CrashPoint;
import io.dtm.config.FaultsConfig;
import io.dtm.config.UnavailableWindow;
import io.dtm.protocol.participant.Faults;
import io.dtm.protocol.participant.Inspect;
import io.dtm.protocol.participant.ListTxns;
import io.dtm.protocol.participant.ParticipantRequest;
import io.dtm.protocol.participant.ParticipantResponse;
import io.dtm.protocol.participant.SetFaults;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Injected faults play a failing service to its coordinators; the operator's own requests
 * (SET_FAULTS, INSPECT, LIST_TXNS) go through them untouched, so faults can always be lifted.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class OperatorRequestsIgnoreFaultsTest {
    /** Far longer than any answer takes, far shorter than the test's timeout. */
    private static final long ANSWER_WITHIN_S = 10;

    @TempDir
    Path dir;

    private final AtomicLong now = new AtomicLong(1_800_000_000_000L);
    private ParticipantStore store;
    private ParticipantEngine engine;

    @BeforeEach
    void open() throws IOException {
        store = ParticipantStore.open(dir);
    }

    @AfterEach
    void stop() {
        if (engine != null) {
            engine.close();
        }
        store.close();
    }

    private void startWith(FaultInjector faults) throws IOException {
        engine = Engines.inventory(store, now::get, faults);
    }

    private static ParticipantRequest setFaults(Faults faults) {
        return ParticipantRequest.newBuilder().setSetFaults(SetFaults.newBuilder().setFaults(faults)).build();
    }

    private static <T> T answered(CompletableFuture<T> reply) {
        return reply.orTimeout(ANSWER_WITHIN_S, TimeUnit.SECONDS).join();
    }

    /** The engine handled {@code reply}'s message and released its group's replies, yet it has none. */
    private void assertDropped(CompletableFuture<ParticipantResponse> reply) {
        engine.read(core -> null).join(); // taken after the message's group was: that group is done
        engine.read(core -> null).join(); // a later group: the earlier group's replies have gone out
        assertThat(reply).as("dropped: no answer").isNotDone();
    }

    @Test
    void aSetFaultsClearingADropRateOfOneIsAnsweredAndPreparesAreAnsweredAgain() throws IOException {
        startWith(new FaultInjector(new Random(1), true));
        answered(engine.submit(setFaults(Faults.newBuilder().setDropProbability(1).build())));
        assertDropped(engine.submit(ParticipantCoreTest.prepare("t-1", "sku-0001", 1)));

        ParticipantResponse cleared = answered(engine.submit(setFaults(Faults.getDefaultInstance())));

        assertThat(cleared.getFaults()).isEqualTo(Faults.getDefaultInstance());
        assertThat(answered(engine.submit(ParticipantCoreTest.prepare("t-2", "sku-0002", 1))).getVote().getYes())
                .isTrue();
    }

    @Test
    void insideAnUnavailableWindowOperatorReadsAreAnsweredAndProtocolMessagesAreNot() throws IOException {
        startWith(new FaultInjector(new Random(1), true));
        answered(engine.submit(setFaults(Faults.newBuilder().setUnavailableUntilMs(now.get() + 3_600_000).build())));

        assertDropped(engine.submit(ParticipantCoreTest.prepare("t-1", "sku-0001", 1)));
        assertThat(answered(engine.submit(ParticipantRequest.newBuilder().setInspect(Inspect.getDefaultInstance())
                .build())).getInspect().getService()).isEqualTo("inventory");
        assertThat(answered(engine.submit(ParticipantRequest.newBuilder().setListTxns(ListTxns.getDefaultInstance())
                .build())).hasTxnList()).isTrue();

        answered(engine.submit(setFaults(Faults.getDefaultInstance())));
        assertThat(answered(engine.submit(ParticipantCoreTest.prepare("t-2", "sku-0002", 1))).getVote().getYes())
                .isTrue();
    }

    @Test
    void clearingFaultsEndsAnUnavailableWindowOfTheConfiguration() throws IOException {
        FaultsConfig config = new FaultsConfig(0, 0, 0, 0, CrashPoint.NEVER,
                List.of(new UnavailableWindow(0, 3_600_000)));
        startWith(FaultInjector.fromConfig(config, true, now.get(), new Random(1)));
        assertDropped(engine.submit(ParticipantCoreTest.prepare("t-1", "sku-0001", 1)));

        answered(engine.submit(setFaults(Faults.getDefaultInstance())));

        assertThat(answered(engine.submit(ParticipantCoreTest.prepare("t-2", "sku-0002", 1))).getVote().getYes())
                .isTrue();
    }

    @Test
    void injectedLatencyDoesNotDelayOperatorReplies() throws IOException {
        startWith(new FaultInjector(new Random(1), true));
        Faults slow = Faults.newBuilder().setLatencyMinMs(3_600_000).setLatencyMaxMs(3_600_000).build();

        assertThat(answered(engine.submit(setFaults(slow))).getFaults()).isEqualTo(slow);
        assertThat(answered(engine.submit(ParticipantRequest.newBuilder().setInspect(Inspect.getDefaultInstance())
                .build())).hasInspect()).isTrue();
        assertThat(answered(engine.submit(setFaults(Faults.getDefaultInstance()))).getFaults())
                .isEqualTo(Faults.getDefaultInstance());
    }
}
