package io.dtm.cli;

/**
 * Chooses the log level before logback starts: a coordinator node or a participant service logs
 * at INFO (its log file is how an operator learns what happened); every other command keeps the
 * terminal for its own output and logs only warnings.
 */
final class Logging {
    static final String LEVEL_PROPERTY = "dtm.log.level";

    private Logging() {
    }

    static void configureFor(String[] args) {
        if (System.getProperty(LEVEL_PROPERTY) == null) {
            boolean server = args.length > 0 && (args[0].equals("node") || args[0].equals("participant"));
            System.setProperty(LEVEL_PROPERTY, server ? "INFO" : "WARN");
        }
        // Ratis and Netty log through SLF4J; the JDK's own logging (rare) follows it too.
        org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
        org.slf4j.bridge.SLF4JBridgeHandler.install();
    }
}
