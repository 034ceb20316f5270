package io.dtm.cli.command;

import io.dtm.cli.CliConnections;
import io.dtm.cli.UserException;
import io.dtm.config.ClusterConfig;
import io.dtm.config.ServiceName;
import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.RemoteException;
import io.dtm.protocol.participant.CrashPoint;
import io.dtm.protocol.participant.Faults;
import io.dtm.rpc.DtmConnections;
import io.dtm.rpc.ParticipantClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

import static picocli.CommandLine.Model.CommandSpec;
import static picocli.CommandLine.Spec;

@Command(name = "faults",
        description = {"Set the faults a running participant service plays (replaces its current settings,",
            "the configuration's unavailable windows included).",
            "Latency, dropped requests, forced NO votes, an unavailable window, or a crash at a named point.",
            "Faults apply to the coordinators' messages (PREPARE, COMMIT, ROLLBACK, QUERY) only, never to",
            "this command, dtm inspect or dtm cluster status: --clear always gets through.",
            "A test feature: a service plays faults only when started with participants.faultInjection: true",
            "(./dtm cluster start --fault-injection on a new directory); otherwise it refuses (exit 1)."},
        footer = {"", "Examples:",
            "  ./dtm cluster start --dir run/faulty --fault-injection        a cluster whose services accept faults",
            "  ./dtm faults payment --dir run/faulty --latency-max 10ms      every reply 0-10 ms late",
            "  ./dtm faults inventory --drop 0.05 --force-no 0.1",
            "  ./dtm faults order --unavailable-for 20s                      no coordinator answered for 20 s",
            "  ./dtm faults shipping --crash-at AFTER_VOTE_PERSISTED         halt after the next durable YES vote",
            "  ./dtm faults payment --clear"},
        mixinStandardHelpOptions = true)
public final class FaultsCommand implements Callable<Integer> {
    @Parameters(paramLabel = "SERVICE", description = "inventory, payment, order or shipping.")
    String service;

    @Option(names = "--latency-min", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Least delay of every reply to a coordinator.")
    Duration latencyMin;

    @Option(names = "--latency-max", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Greatest delay of every reply (uniform between min and max).")
    Duration latencyMax;

    @Option(names = "--drop", paramLabel = "P", description = "Probability (0-1) that a coordinator's request gets no reply.")
    Double drop;

    @Option(names = "--force-no", paramLabel = "P", description = "Probability (0-1) that a YES vote becomes NO (FORCED_NO).")
    Double forceNo;

    @Option(names = "--unavailable-for", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Answer no coordinator from now on for this long.")
    Duration unavailableFor;

    @Option(names = "--crash-at", paramLabel = "POINT", completionCandidates = CrashPoints.class,
            converter = CrashPoints.class, description = "Halt (exit 137) once, at: ${COMPLETION-CANDIDATES}.")
    CrashPoint crashAt;

    /** The crash points a user can name: protobuf's UNRECOGNIZED is not one of them. */
    static final class CrashPoints extends java.util.ArrayList<String> implements CommandLine.ITypeConverter<CrashPoint> {
        CrashPoints() {
            super(java.util.Arrays.stream(CrashPoint.values()).filter(p -> p != CrashPoint.UNRECOGNIZED)
                    .map(Enum::name).toList());
        }

        @Override
        public CrashPoint convert(String value) {
            if (!contains(value)) {
                throw new CommandLine.TypeConversionException("expected one of " + String.join(", ", this)
                        + ", got " + value);
            }
            return CrashPoint.valueOf(value);
        }
    }

    @Option(names = "--clear", description = "No faults (ends the configuration's unavailable windows too).")
    boolean clear;

    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        ServiceName name = ConfigOptions.service(service);
        Faults faults = build();
        ClusterConfig config = options.load();
        try (DtmConnections connections = CliConnections.open(config, Duration.ofMillis(config.timeouts().rpcTimeoutMs()));
                ParticipantClient client = connections.connectParticipant(name, config.service(name)).get()) {
            Faults now = client.setFaults(faults).get();
            PrintWriter out = spec.commandLine().getOut();
            String text = now.toString().trim().replace('\n', ' ');
            out.println(name.id() + " faults: " + (text.isEmpty() ? "none" : text));
            out.flush();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RemoteException refused && refused.code() == ErrorCode.DISABLED) {
                throw new UserException(name.id() + " refused: " + e.getCause().getMessage(), 1);
            }
            throw new UserException(name.id() + " at " + config.service(name).address() + " did not answer: "
                    + e.getCause().getMessage() + ". Is it running? try ./dtm cluster status", 3);
        }
        return 0;
    }

    private Faults build() {
        boolean any = latencyMin != null || latencyMax != null || drop != null || forceNo != null
                || unavailableFor != null || crashAt != null;
        if (clear == any) {
            throw new UserException("say which faults to set, or --clear to remove them all (see --help)", 2);
        }
        Faults.Builder f = Faults.newBuilder();
        if (clear) {
            return f.build();
        }
        long min = latencyMin == null ? 0 : latencyMin.toMillis();
        long max = latencyMax == null ? min : latencyMax.toMillis();
        if (max < min) {
            throw new UserException("--latency-max must not be less than --latency-min", 2);
        }
        f.setLatencyMinMs(min).setLatencyMaxMs(max);
        f.setDropProbability(probability("--drop", drop)).setForceNoProbability(probability("--force-no", forceNo));
        if (unavailableFor != null) {
            f.setUnavailableUntilMs(System.currentTimeMillis() + unavailableFor.toMillis());
        }
        if (crashAt != null) {
            f.setCrashAt(crashAt);
        }
        return f.build();
    }

    private static double probability(String option, Double p) {
        if (p == null) {
            return 0;
        }
        if (p < 0 || p > 1 || p.isNaN()) {
            throw new UserException(option + " is a probability between 0 and 1, got " + p, 2);
        }
        return p;
    }
}
