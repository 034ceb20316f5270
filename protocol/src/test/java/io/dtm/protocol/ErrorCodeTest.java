package io.dtm.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtm.protocol.rpc.Response;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ErrorCodeTest {

    @Test
    void codesAreUnique() {
        assertThat(Arrays.stream(ErrorCode.values()).map(ErrorCode::code)).doesNotHaveDuplicates();
    }

    @Test
    void noneIsZero() {
        assertThat(ErrorCode.NONE.code()).isZero();
        assertThat(ErrorCode.forCode(0)).isEqualTo(ErrorCode.NONE);
    }

    @Test
    void forCodeFindsEveryConstant() {
        for (ErrorCode error : ErrorCode.values()) {
            assertThat(ErrorCode.forCode(error.code())).isEqualTo(error);
        }
    }

    @Test
    void unknownNumberIsUnknownError() {
        assertThat(ErrorCode.forCode(9_999)).isEqualTo(ErrorCode.UNKNOWN_ERROR);
        assertThat(ErrorCode.forCode(-1)).isEqualTo(ErrorCode.UNKNOWN_ERROR);
    }

    @Test
    void onlyTransientConditionsAreRetriable() {
        assertThat(Arrays.stream(ErrorCode.values()).filter(ErrorCode::retriable))
                .containsExactlyInAnyOrder(ErrorCode.NOT_LEADER, ErrorCode.UNAVAILABLE, ErrorCode.TIMEOUT,
                        ErrorCode.OVERLOADED);
    }

    @Test
    void protoRoundTripKeepsCodeAndMessage() {
        io.dtm.protocol.rpc.Error error = ErrorCode.CONFLICT.toProto("tid t1 was submitted with other services");

        assertThat(error.getCode()).isEqualTo(ErrorCode.CONFLICT.code());
        assertThat(error.getMessage()).isEqualTo("tid t1 was submitted with other services");
        assertThat(ErrorCode.of(error)).isEqualTo(ErrorCode.CONFLICT);
    }

    @Test
    void emptyMessageFallsBackToDescription() {
        assertThat(ErrorCode.NOT_FOUND.toProto(null).getMessage()).isEqualTo(ErrorCode.NOT_FOUND.description());
        assertThat(ErrorCode.NOT_FOUND.toProto("").getMessage()).isEqualTo(ErrorCode.NOT_FOUND.description());
    }

    @Test
    void absentErrorIsNone() {
        assertThat(ErrorCode.of(Response.getDefaultInstance().getError())).isEqualTo(ErrorCode.NONE);
        assertThat(ErrorCode.of(null)).isEqualTo(ErrorCode.NONE);
    }
}
