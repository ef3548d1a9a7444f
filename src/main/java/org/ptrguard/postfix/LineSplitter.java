package org.ptrguard.postfix;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Cuts a byte stream into lines without ever holding more than {@code maxLine} bytes of one line:
 * a line longer than that is passed on cut to its first {@code maxLine} bytes, and the rest up to its
 * newline is skipped (counted in {@link #overlongLines()}). A log line of megabytes, or a binary
 * file without newlines, costs a fixed amount of memory. Bytes are decoded as UTF-8, invalid
 * sequences becoming U+FFFD. A trailing partial line stays buffered until its newline arrives (a
 * writer may be in the middle of it) or {@link #finish()} is called at the end of a file.
 */
public final class LineSplitter {
  private final int maxLine;
  private final Consumer<String> out;
  private final ByteArrayOutputStream current = new ByteArrayOutputStream(256);
  private boolean skipping;
  private long overlong;

  public LineSplitter(int maxLine, Consumer<String> out) {
    this.maxLine = maxLine;
    this.out = out;
  }

  public void feed(byte[] bytes, int offset, int length) {
    int end = offset + length;
    int start = offset;
    for (int i = offset; i < end; i++) {
      if (bytes[i] == '\n') {
        append(bytes, start, i - start);
        emit();
        start = i + 1;
      }
    }
    append(bytes, start, end - start);
  }

  /** Passes on a last line that has no newline (end of a finished file). */
  public void finish() {
    if (current.size() > 0 || skipping) {
      emit();
    }
  }

  /** Bytes of the line being collected (0 right after a newline). */
  public int pending() {
    return current.size();
  }

  /** The bytes of the line being collected (empty while skipping the rest of an overlong one). */
  public byte[] pendingBytes() {
    return skipping ? new byte[0] : current.toByteArray();
  }

  /** Drops a partial line (the file it came from was truncated or replaced). */
  public void discardPartial() {
    current.reset();
    skipping = false;
  }

  public long overlongLines() {
    return overlong;
  }

  private void append(byte[] bytes, int from, int length) {
    if (skipping || length <= 0) {
      return;
    }
    int room = maxLine - current.size();
    if (length > room) {
      current.write(bytes, from, room);
      skipping = true;
      overlong++;
    } else {
      current.write(bytes, from, length);
    }
  }

  private void emit() {
    int size = current.size();
    byte[] b = current.toByteArray();
    int len = size > 0 && b[size - 1] == '\r' ? size - 1 : size;
    current.reset();
    skipping = false;
    out.accept(new String(b, 0, len, StandardCharsets.UTF_8));
  }
}
