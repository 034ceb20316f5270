package io.dtm.cli.submit;

import java.io.IOException;
import java.io.Reader;

/**
 * Reads a stream line by line (ending at {@code \n}, {@code \r\n} dropped with it) without ever
 * holding more than {@code maxChars} of one line: a longer line is skipped to its end and
 * reported, so that one oversize line costs neither memory nor the rest of the stream. A byte order
 * mark (U+FEFF) opening the stream, as some editors save UTF-8, is not part of the first line.
 */
final class LineReader {
    /** The line was longer than the limit; it has been skipped. */
    static final class TooLong extends Exception {
        TooLong(long length, int max) {
            super("longer than " + max + " characters (" + length + "); nothing of it was sent");
        }
    }

    private static final char BYTE_ORDER_MARK = '\uFEFF';

    private final Reader in;
    private final int maxChars;
    private final char[] buffer = new char[8192];
    private int position;
    private int limit;
    private boolean eof;
    private boolean started;

    LineReader(Reader in, int maxChars) {
        this.in = in;
        this.maxChars = maxChars;
    }

    /** The next line, or null at the end of the stream. */
    String next() throws IOException, TooLong {
        StringBuilder line = new StringBuilder();
        long length = 0;
        boolean any = false;
        while (true) {
            if (position == limit && !fill()) {
                if (!any) {
                    return null;
                }
                break;
            }
            char c = buffer[position++];
            if (!started) {
                started = true;
                if (c == BYTE_ORDER_MARK) {
                    continue;
                }
            }
            any = true;
            if (c == '\n') {
                break;
            }
            length++;
            if (length <= maxChars) {
                line.append(c);
            } else if (line.length() > 0) {
                line.setLength(0); // drop what was kept; count the rest without keeping it
                line.trimToSize();
            }
        }
        if (length > maxChars) {
            throw new TooLong(length, maxChars);
        }
        int end = line.length();
        if (end > 0 && line.charAt(end - 1) == '\r') {
            line.setLength(end - 1);
        }
        return line.toString();
    }

    private boolean fill() throws IOException {
        if (eof) {
            return false;
        }
        int n = in.read(buffer, 0, buffer.length);
        if (n < 0) {
            eof = true;
            return false;
        }
        position = 0;
        limit = n;
        return true;
    }
}
