package io.dtm.cli.command;

import io.dtm.cli.UserException;
import io.dtm.config.ClusterConfig;
import io.dtm.pki.ClusterCertificates.Holder;
import io.dtm.pki.ClusterCertificates.Shown;
import io.dtm.pki.ClusterCertificates;
import io.dtm.pki.Identity;
import io.dtm.pki.PkiException;
import io.dtm.rpc.ClusterPki;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;

import static picocli.CommandLine.Model.CommandSpec;

@Command(name = "certs",
        description = {"The cluster's TLS certificates: a CA and one certificate per process.",
            "Every link is mutual TLS 1.3; ./dtm cluster start makes all of them for a new DIR, so most people never need this."},
        mixinStandardHelpOptions = true,
        subcommands = {CertsCommand.Create.class, CertsCommand.Show.class, CertsCommand.Rotate.class})
public final class CertsCommand {

    @Command(name = "create",
            description = {"Make what is missing: the CA (DIR/tls/ca.pem, its key apart in DIR/ca/ca.key) and a certificate",
                "and key (mode 0600) for every node and service of the configuration, for admin (the CLI) and for client",
                "(client programs), each naming its process's role and the host it serves on. Existing files are kept."},
            footer = {"", "Examples:",
                "  ./dtm certs create                         for the cluster in run/local",
                "  ./dtm certs create --dir /srv/dtm --config prod.yaml"},
            mixinStandardHelpOptions = true)
    static final class Create implements Callable<Integer> {
        @Mixin
        ConfigOptions options;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            ClusterConfig config = options.load();
            List<String> made = run(() -> ClusterPki.prepare(config, options.clusterDir().caDir()));
            if (made.isEmpty()) {
                out.println("nothing to make: every certificate is in " + config.tlsDir());
            }
            made.forEach(line -> out.println("created " + line));
            return 0;
        }
    }

    @Command(name = "show",
            description = {"List the certificates in the TLS directory: who each speaks for, the hosts it names, until when",
                "it is valid, and whether it is usable (signed by ca.pem, in its validity, with its key). Exit 1 if one is not."},
            footer = {"", "Examples:", "  ./dtm certs show", "  ./dtm certs show --dir /srv/dtm --config prod.yaml"},
            mixinStandardHelpOptions = true)
    static final class Show implements Callable<Integer> {
        @Mixin
        ConfigOptions options;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            ClusterConfig config = options.load();
            ClusterCertificates certificates = ClusterPki.certificates(config, options.clusterDir().caDir());
            if (!Files.isRegularFile(certificates.caCertificateFile())) {
                throw new UserException("no CA certificate at " + certificates.caCertificateFile()
                        + ": ./dtm cluster start makes one for a new cluster, ./dtm certs create for this one", 1);
            }
            List<Shown> shown = run(certificates::show);
            Instant now = Instant.now();
            out.printf("CA %s%n", certificates.caCertificateFile());
            out.printf("%-12s %-20s %-28s %-22s %s%n", "NAME", "IDENTITY", "HOSTS", "VALID UNTIL", "STATE");
            boolean allOk = true;
            for (Shown s : shown) {
                String state = s.state(now);
                allOk &= state.equals("ok");
                out.printf("%-12s %-20s %-28s %-22s %s%n", s.name(), s.identity().map(Identity::toString).orElse("-"),
                        s.hosts().isEmpty() ? "-" : String.join(",", s.hosts()), s.notAfter(), state);
            }
            return allOk ? 0 : 1;
        }
    }

    @Command(name = "rotate",
            description = {"Give processes new keys and certificates from the same CA (the others need no change). A process",
                "reads its files when it starts: restart it (./dtm cluster stop, then start) to use the new ones."},
            footer = {"", "Examples:",
                "  ./dtm certs rotate                         every process of the cluster in run/local",
                "  ./dtm certs rotate payment n2"},
            mixinStandardHelpOptions = true)
    static final class Rotate implements Callable<Integer> {
        @Mixin
        ConfigOptions options;
        @Parameters(paramLabel = "NAME", arity = "0..*",
                description = "Processes to rotate (node ids, service ids, admin, client). Default: all.")
        List<String> names = List.of();
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            ClusterConfig config = options.load();
            List<Holder> all = ClusterPki.holders(config);
            List<String> unknown = names.stream().filter(n -> all.stream().noneMatch(h -> h.name().equals(n))).toList();
            if (!unknown.isEmpty()) {
                throw new UserException("unknown process " + String.join(", ", unknown) + " (expected some of: "
                        + String.join(", ", all.stream().map(Holder::name).toList()) + ")", 2);
            }
            List<Holder> chosen = names.isEmpty() ? all : all.stream().filter(h -> names.contains(h.name())).toList();
            List<String> made = run(() -> ClusterPki.certificates(config, options.clusterDir().caDir())
                    .rotate(chosen, Instant.now(), new SecureRandom()));
            made.forEach(line -> out.println("rotated " + line));
            out.println("restart the processes to use them: ./dtm cluster stop" + options.asGiven() + " && ./dtm cluster start"
                    + options.asGiven());
            return 0;
        }
    }

    private static <T> T run(java.util.function.Supplier<T> action) {
        try {
            return action.get();
        } catch (PkiException e) {
            throw new UserException(e.getMessage(), 1);
        }
    }
}
