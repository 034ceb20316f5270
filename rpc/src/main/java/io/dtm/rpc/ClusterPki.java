package io.dtm.rpc;

import io.dtm.config.ClusterConfig;
import io.dtm.config.DigestKeyFile;
import io.dtm.config.NodeConfig;
import io.dtm.config.ServiceName;
import io.dtm.pki.ClusterCertificates.Holder;
import io.dtm.pki.ClusterCertificates;
import io.dtm.pki.Identity;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The certificates a cluster's processes need, read from its configuration: one per node (its
 * host, which clients and the other nodes dial), one per service (its host), and {@code admin} and
 * {@code client} for the command line and client programs. Files go where the processes look for
 * them ({@code tls.dir}); the CA's key goes to {@code caDir}, apart.
 */
public final class ClusterPki {
    public static final String ADMIN = "admin";
    public static final String CLIENT = "client";

    private ClusterPki() {
    }

    /** Every process of {@code config} that needs a certificate, with the hosts it must name. */
    public static List<Holder> holders(ClusterConfig config) {
        List<Holder> holders = new ArrayList<>();
        for (NodeConfig node : config.nodes()) {
            holders.add(new Holder(node.id(), Identity.node(node.id()), List.of(node.host())));
        }
        for (ServiceName service : config.services().keySet()) {
            holders.add(new Holder(service.id(), Identity.service(service.id()),
                    List.of(config.service(service).host())));
        }
        holders.add(new Holder(ADMIN, new Identity(Identity.Role.ADMIN, ADMIN), List.of()));
        holders.add(new Holder(CLIENT, new Identity(Identity.Role.CLIENT, CLIENT), List.of()));
        return holders;
    }

    /** The certificates of {@code config}'s TLS directory, with the CA key kept in {@code caDir}. */
    public static ClusterCertificates certificates(ClusterConfig config, Path caDir) {
        return new ClusterCertificates(config.tlsDir(), caDir);
    }

    /**
     * Everything secret a new cluster needs that is not there yet: the request digest key and, with
     * TLS on, the CA and every certificate. Returns what it made, one line each.
     */
    public static List<String> prepare(ClusterConfig config, Path caDir) {
        List<String> made = new ArrayList<>();
        if (DigestKeyFile.createIfAbsent(config.tlsDir(), new SecureRandom())) {
            made.add("the request digest key " + DigestKeyFile.path(config.tlsDir()));
        }
        if (config.tls().enabled()) {
            made.addAll(createMissing(config, caDir));
        }
        return made;
    }

    /** Makes the CA and every certificate {@code config} needs that is not there yet; returns what it made. */
    public static List<String> createMissing(ClusterConfig config, Path caDir) {
        return certificates(config, caDir).create(config.name(), holders(config), Instant.now(), new SecureRandom());
    }
}
