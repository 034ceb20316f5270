package io.dtm.coordinator;

import io.dtm.config.ServiceName;
import io.dtm.coordinator.runtime.EngineLog;
import io.dtm.coordinator.runtime.EngineParticipants;
import io.dtm.coordinator.runtime.EngineThread;
import io.dtm.log.LogAppender;
import io.dtm.log.TxnLogClient;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.participant.Ack;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.Rollback;
import io.dtm.protocol.participant.Vote;
import io.dtm.rpc.ParticipantClient;
import io.netty.channel.EventLoop;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** What a node gives its coordinator engine: its Raft log, its participant connections, its event loop. */
final class EngineAdapters {
    private EngineAdapters() {
    }

    /** Appends through the term's fenced appender (straight into this node's Raft server), reads through the client. */
    static EngineLog log(LogAppender appender, TxnLogClient reads) {
        return new EngineLog() {
            @Override
            public CompletableFuture<RecordResult> append(TxnRecord record) {
                return appender.append(record);
            }

            @Override
            public CompletableFuture<TxnState> read(String attemptId) {
                return reads.read(attemptId);
            }

            @Override
            public void close() {
                appender.close();
            }
        };
    }

    /** One shared connection per service (the pool replaces a closed one on next use). */
    static EngineParticipants participants(ParticipantPool pool) {
        return new EngineParticipants() {
            @Override
            public CompletableFuture<Vote> prepare(ServiceName service, Prepare prepare) {
                return pool.client(service).thenCompose(c -> c.prepare(prepare));
            }

            @Override
            public CompletableFuture<Ack> commit(ServiceName service, String attemptId) {
                return pool.client(service).thenCompose(c -> c.commitAck(attemptId));
            }

            @Override
            public CompletableFuture<Ack> rollback(ServiceName service, Rollback rollback) {
                return pool.client(service).thenCompose((ParticipantClient c) -> c.rollback(rollback));
            }
        };
    }

    /** A Netty event loop: never blocked by the engine, and never shut down by it (the connections own it). */
    static EngineThread thread(EventLoop loop) {
        return new EngineThread() {
            @Override
            public void execute(Runnable task) {
                loop.execute(task);
            }

            @Override
            public Cancellable schedule(Runnable task, long delayMs) {
                ScheduledFuture<?> scheduled = loop.schedule(task, delayMs, TimeUnit.MILLISECONDS);
                return () -> scheduled.cancel(false);
            }

            @Override
            public boolean inThread() {
                return loop.inEventLoop();
            }
        };
    }
}
