package org.ptrguard.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where ptrguard reads Postfix's delivery log from ({@code feedback.source}): {@code auto},
 * {@code journal}, {@code file:/absolute/path} or {@code off}.
 *
 * @param file the path for {@link Kind#FILE}, empty otherwise
 */
public record FeedbackSource(Kind kind, Optional<Path> file) {
  public enum Kind { AUTO, JOURNAL, FILE, OFF }

  public static final FeedbackSource AUTO = new FeedbackSource(Kind.AUTO, Optional.empty());

  public FeedbackSource {
    if ((kind == Kind.FILE) != file.isPresent()) {
      throw new IllegalArgumentException("a file source needs a path, and only a file source has one");
    }
  }

  /** The configuration text; throws IllegalArgumentException naming the accepted forms. */
  public static FeedbackSource parse(String text) {
    String s = text.strip();
    switch (s) {
      case "auto" -> {
        return AUTO;
      }
      case "journal" -> {
        return new FeedbackSource(Kind.JOURNAL, Optional.empty());
      }
      case "off" -> {
        return new FeedbackSource(Kind.OFF, Optional.empty());
      }
      default -> {
        if (s.startsWith("file:")) {
          String path = s.substring("file:".length());
          if (!path.startsWith("/") || path.length() < 2 || path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("'" + s + "': a file source is file:/absolute/path");
          }
          return new FeedbackSource(Kind.FILE, Optional.of(Path.of(path).normalize()));
        }
        throw new IllegalArgumentException("'" + s + "' must be auto, journal, file:/path or off");
      }
    }
  }

  /** As written in the configuration. */
  public String word() {
    return kind == Kind.FILE ? "file:" + file.get() : kind.name().toLowerCase(java.util.Locale.ROOT);
  }
}
