package org.ptrguard.ops;

import java.util.List;

/**
 * One part of {@code ptrguard status} besides the identities, contributed by another concern (for
 * example receiver rejections from the delivery log). The daemon asks for its content on every
 * status request, so it must answer from memory at once. {@code ptrguard status} prints the title
 * and the lines; {@code --json} carries the data under {@code sections[].data}. See docs/control.md.
 */
public interface StatusSection {
  /** Stable machine name, lower case with dashes (e.g. {@code receiver-rejections}). */
  String name();

  /** Heading for the text output (e.g. "Receiver rejections in the last 24 h"). */
  String title();

  /** The current content; never blocks. */
  Content content();

  /**
   * @param lines what a person reads, one line each, without the heading
   * @param data the same for programs: null, a String, Number, Boolean, or Lists and Maps (String keys) of these
   */
  record Content(List<String> lines, Object data) {
    public Content {
      lines = List.copyOf(lines);
    }
  }
}
