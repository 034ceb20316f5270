package io.dtm.pki;

import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Who a certificate speaks for: a role and a name, written in its subject as
 * {@code CN=<name>, OU=<role>, O=dtm}. The roles are what the servers decide by: a node
 * ({@code node}, named by its node id), a participant service ({@code service}, named by its
 * service id), a client that submits orders ({@code client}) and an operator ({@code admin}).
 *
 * @param role what the holder may do
 * @param name which one: a node id, a service id, or any label for clients and admins
 */
public record Identity(Role role, String name) {
    /** The organisation every certificate of a cluster names; certificates from another CA are refused anyway. */
    public static final String ORGANISATION = "dtm";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    public enum Role {
        NODE, SERVICE, CLIENT, ADMIN;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Optional<Role> of(String id) {
            for (Role r : values()) {
                if (r.id().equals(id)) {
                    return Optional.of(r);
                }
            }
            return Optional.empty();
        }
    }

    public Identity {
        if (role == null || name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("an identity is a role and a name matching " + NAME.pattern()
                    + ", got " + role + " " + name);
        }
    }

    public static Identity node(String id) {
        return new Identity(Role.NODE, id);
    }

    public static Identity service(String id) {
        return new Identity(Role.SERVICE, id);
    }

    /** The subject of its certificate, in RFC 2253 form. */
    public String subject() {
        return "CN=" + name + ",OU=" + role.id() + ",O=" + ORGANISATION;
    }

    /**
     * The identity a certificate's subject names, or empty when it names none (another
     * organisation, no role, an unknown role): such a certificate may do nothing here.
     */
    public static Optional<Identity> of(X509Certificate certificate) {
        return ofSubject(certificate.getSubjectX500Principal().getName());
    }

    static Optional<Identity> ofSubject(String rfc2253) {
        String cn = null;
        String ou = null;
        String o = null;
        try {
            for (Rdn rdn : new LdapName(rfc2253).getRdns()) {
                if (rdn.size() != 1) {
                    return Optional.empty(); // multi-valued: not one of ours
                }
                String value = rdn.getValue().toString();
                switch (rdn.getType().toUpperCase(Locale.ROOT)) {
                    case "CN" -> cn = cn == null ? value : "";
                    case "OU" -> ou = ou == null ? value : "";
                    case "O" -> o = o == null ? value : "";
                    default -> {
                        return Optional.empty();
                    }
                }
            }
        } catch (InvalidNameException e) {
            return Optional.empty();
        }
        if (cn == null || ou == null || !ORGANISATION.equals(o) || !NAME.matcher(cn).matches()) {
            return Optional.empty();
        }
        String name = cn;
        return Role.of(ou).map(role -> new Identity(role, name));
    }

    /** As the servers say it in logs and errors: {@code node n1}, {@code service payment}, {@code client alice}. */
    @Override
    public String toString() {
        return role.id() + " " + name;
    }
}
