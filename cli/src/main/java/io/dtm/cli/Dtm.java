package io.dtm.cli;

import io.dtm.cli.command.AotTrainCommand;
import io.dtm.cli.command.BenchCommand;
import io.dtm.cli.command.CertsCommand;
import io.dtm.cli.command.ClusterCommand;
import io.dtm.cli.command.DemoCommand;
import io.dtm.cli.command.FaultsCommand;
import io.dtm.cli.command.InspectCommand;
import io.dtm.cli.command.JepsenStub;
import io.dtm.cli.command.NodeCommand;
import io.dtm.cli.command.ParticipantCommand;
import io.dtm.cli.command.StatusCommand;
import io.dtm.cli.command.SubmitCommand;
import io.dtm.cli.command.ViolationsCommand;
import io.dtm.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * The {@code dtm} command line. Each subcommand is its own class; this one only wires them and
 * turns expected failures (bad configuration, unreachable cluster) into one clear line on stderr.
 */
@Command(name = "dtm",
        mixinStandardHelpOptions = true,
        versionProvider = Dtm.Version.class,
        description = {
            "A distributed transaction manager: two-phase commit across Inventory, Payment, Order and Shipping,",
            "coordinated by three nodes that replicate every decision with Raft."},
        subcommands = {
            DemoCommand.class,
            SubmitCommand.class,
            ClusterCommand.class,
            CertsCommand.class,
            NodeCommand.class,
            ParticipantCommand.class,
            StatusCommand.class,
            ViolationsCommand.class,
            InspectCommand.class,
            FaultsCommand.class,
            BenchCommand.class,
            JepsenStub.class,
            AotTrainCommand.class,
            CommandLine.HelpCommand.class},
        footer = {"",
            "Start here:",
            "  ./dtm demo                      run the demo on a temporary local cluster",
            "  ./dtm cluster start             start the local cluster in run/local",
            "  ./dtm submit orders.jsonl       run transactions (JSON lines) and print each final status",
            "  ./dtm cluster status            see who leads",
            "  ./dtm <command> --help          every command explains itself, with examples",
            ""})
public final class Dtm {

    public static void main(String[] args) {
        ensureCommonPool();
        Logging.configureFor(args);
        System.exit(run(args));
    }

    static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

    /** The common pool's size on a machine with one or two cores, unless the user chose one. */
    static final int SMALL_MACHINE_COMMON_POOL = 16;

    /**
     * Gives the common fork-join pool real threads on a one- or two-core machine, unless the user
     * chose a size. There the JDK sizes it to one thread, and CompletableFuture then runs every
     * {@code *Async} stage without an executor on a brand-new thread. Ratis does that for each
     * AppendEntries a follower receives ({@code thenComposeAsync}): async-profiler showed 10% of each
     * follower's CPU in creating those threads, plus the context switches they cause.
     *
     * <p>Why 16 and not 2: Ratis also runs blocking waits on the common pool (the graceful shutdown
     * of a gRPC channel to a peer that went away waits seconds). With two threads such waits can
     * starve the pool and stall replication: FailureMatrixIT once saw a decision take 14 s after
     * nodes were killed, with a pool thread stuck in such a wait. A thread is only created when
     * work is waiting and none is free, and an idle one ends after a minute, so the steady state
     * still runs on two or three.
     */
    static void ensureCommonPool() {
        if (System.getProperty(COMMON_POOL_PARALLELISM) == null && Runtime.getRuntime().availableProcessors() <= 2) {
            System.setProperty(COMMON_POOL_PARALLELISM, Integer.toString(SMALL_MACHINE_COMMON_POOL));
        }
    }

    /** Runs a command line and returns its exit code. */
    public static int run(String... args) {
        return commandLineFor(args).execute(args);
    }

    /** The command line that runs {@code args}: a node's or service's own, else the whole one. */
    static CommandLine commandLineFor(String... args) {
        return isProcess(args) ? configure(new CommandLine(new Processes())) : commandLine();
    }

    /**
     * Whether {@code args} start a node or a service: processes that only ever run that one
     * command, so they build no other (all of them cost each of a cluster's seven processes about
     * a fifth of a second of CPU as it starts, on a machine busy starting the others).
     */
    static boolean isProcess(String... args) {
        return args.length > 0 && (args[0].equals("node") || args[0].equals("participant"));
    }

    /** The command line of a node or service process: {@code dtm node} and {@code dtm participant} alone. */
    @Command(name = "dtm", mixinStandardHelpOptions = true, versionProvider = Dtm.Version.class,
            subcommands = {NodeCommand.class, ParticipantCommand.class})
    static final class Processes {
    }

    /** The configured command line (tests set its output streams and execute it). */
    public static CommandLine commandLine() {
        return configure(new CommandLine(new Dtm()));
    }

    private static CommandLine configure(CommandLine cli) {
        cli.setUsageHelpWidth(110);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof UserException || e instanceof ConfigException) {
                commandLine.getErr().println("dtm: " + e.getMessage());
                return e instanceof UserException u ? u.exitCode() : 2;
            }
            throw e;
        });
        return cli;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Dtm.class.getPackage().getImplementationVersion();
            return new String[] {"dtm " + (v == null ? "(development build)" : v)};
        }
    }
}
