package io.dtm.jepsen.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One checker's verdict, the problems that made it (the first {@link #MAX_PROBLEMS}, and how many
 * there were in all) and what it counted.
 */
public record CheckResult(String checker, Verdict verdict, List<String> problems, int problemCount,
        Map<String, Object> details) {
    public static final int MAX_PROBLEMS = 50;

    /** Collects problems for one checker; INVALID as soon as there is one, unless marked unknown. */
    public static final class Builder {
        private final String checker;
        private final List<String> problems = new ArrayList<>();
        private int count;
        private String unknownBecause;

        public Builder(String checker) {
            this.checker = checker;
        }

        public Builder problem(String problem) {
            count++;
            if (problems.size() < MAX_PROBLEMS) {
                problems.add(problem);
            }
            return this;
        }

        /** The checker could not decide (e.g. out of time, or what it needs was not observed). */
        public Builder unknown(String because) {
            unknownBecause = because;
            return this;
        }

        public CheckResult build(Map<String, Object> details) {
            Verdict v = count > 0 ? Verdict.INVALID : unknownBecause != null ? Verdict.UNKNOWN : Verdict.VALID;
            List<String> all = new ArrayList<>(problems);
            if (unknownBecause != null && count == 0) {
                all.add("unknown: " + unknownBecause);
            }
            return new CheckResult(checker, v, List.copyOf(all), count, details);
        }
    }
}
