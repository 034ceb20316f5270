package io.dtm.cli.submit;

import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LineReaderTest {
    @Test
    void splitsOnNewlinesAndDropsACarriageReturnBeforeThem() throws Exception {
        assertThat(read("a\r\nb\n\nc", 10)).containsExactly("a", "b", "", "c");
        assertThat(read("a\n", 10)).containsExactly("a");
        assertThat(read("", 10)).isEmpty();
    }

    @Test
    void aLineOverTheLimitIsSkippedWholeAndTheNextOneIsRead() throws Exception {
        String huge = "x".repeat(50_000);
        LineReader lines = new LineReader(new StringReader("ok\n" + huge + "\nnext\n"), 1_000);
        assertThat(lines.next()).isEqualTo("ok");
        assertThatThrownBy(lines::next).isInstanceOf(LineReader.TooLong.class)
                .hasMessageContaining("longer than 1000 characters (50000)");
        assertThat(lines.next()).isEqualTo("next");
        assertThat(lines.next()).isNull();
    }

    @Test
    void aLineOfExactlyTheLimitIsKept() throws Exception {
        assertThat(read("y".repeat(1_000) + "\n", 1_000)).containsExactly("y".repeat(1_000));
    }

    @Test
    void aByteOrderMarkOpeningTheStreamIsNotPartOfTheFirstLine() throws Exception {
        assertThat(read("\uFEFF{\"a\":1}\r\nb\n", 10)).containsExactly("{\"a\":1}", "b");
        assertThat(read("\uFEFF", 10)).isEmpty();
        assertThat(read("a\n\uFEFFb", 10)).as("only the stream's first character").containsExactly("a", "\uFEFFb");
    }

    private static List<String> read(String text, int max) throws Exception {
        LineReader lines = new LineReader(new StringReader(text), max);
        List<String> out = new ArrayList<>();
        for (String line = lines.next(); line != null; line = lines.next()) {
            out.add(line);
        }
        return out;
    }
}
