package io.dtm.protocol;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

class FailuresTest {
    private final IllegalStateException failure = new IllegalStateException("the log is gone");

    @Test
    void findsTheFailureInsideNestedWrappers() {
        Throwable nested = new CompletionException(new ExecutionException(new CompletionException(failure)));
        assertThat(Failures.unwrap(nested)).isSameAs(failure);
    }

    @Test
    void findsTheFailureThatAFuturesStagesWrapped() {
        CompletableFuture<Object> failed = CompletableFuture.failedFuture(failure)
                .thenApply(x -> x).thenCompose(CompletableFuture::completedFuture);
        assertThat(Failures.unwrap(catchThrowable(failed::join))).isSameAs(failure);
        assertThat(Failures.unwrap(catchThrowable(failed::get))).isSameAs(failure);
    }

    @Test
    void keepsAFailureThatIsNotWrappedAndAWrapperWithNoCause() {
        assertThat(Failures.unwrap(failure)).isSameAs(failure);
        CompletionException empty = new CompletionException("no cause", null);
        assertThat(Failures.unwrap(empty)).isSameAs(empty);
    }
}
