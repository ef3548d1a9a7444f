package org.ptrguard.postfix;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;
import org.ptrguard.ops.LogValues;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows a log file the way {@code tail -F} does, without losing or repeating lines across the two
 * ways logs are rotated:
 * <ul>
 *   <li>rename (logrotate's default, {@code postfix logrotate}): the path gets a new file. The old
 *       file is read to its end, then the new one from its start; the old one is still read for
 *       {@link LogFollower.Timing#rotationGrace()} because the writer appends to it until it reopens.
 *   <li>copytruncate: the same file becomes shorter, or its first bytes change (the writer may have
 *       written past the old read position before the next poll): read again from the start.
 * </ul>
 * A file that is missing or unreadable is a log line (once per problem) and a retry with backoff.
 * Runs on its own daemon thread; only a whole line (up to its newline) is handed on.
 */
public final class FileLogFollower implements LogFollower {
  private static final Logger LOG = LoggerFactory.getLogger(FileLogFollower.class);
  /** Longest line handed on; longer ones are cut (see {@link LineSplitter}). */
  public static final int MAX_LINE = 64 * 1024;
  private static final int HEAD = 64;

  private final Path path;
  private final Consumer<String> lines;
  private final Timing timing;
  private final Thread thread;
  private volatile boolean closed;

  /** The file being read: channel, identity, read position, first bytes, line assembly. */
  private static final class Open {
    final FileChannel channel;
    final Object key;
    final LineSplitter splitter;
    long position;
    byte[] head = new byte[0];
    long graceUntil = Long.MAX_VALUE;
    /** Started in the middle of a line being written: its tail is not a whole line. */
    boolean dropFirst;

    Open(FileChannel channel, Object key, Consumer<String> lines) {
      this.channel = channel;
      this.key = key;
      this.splitter = new LineSplitter(MAX_LINE, line -> {
        if (dropFirst) {
          dropFirst = false;
        } else {
          lines.accept(line);
        }
      });
    }
  }

  private Open current;
  private Open previous;
  private String problem = "";
  private final Backoff backoff;

  public FileLogFollower(Path path, Consumer<String> lines, Timing timing) {
    this.path = path;
    this.lines = lines;
    this.timing = timing;
    this.backoff = new Backoff(timing.backoffMin(), timing.backoffMax());
    this.thread = new Thread(this::run, "ptrguard-feedback-file");
    thread.setDaemon(true);
  }

  /** Follows {@code path}, handing smtp/lmtp client lines to {@code listener}. */
  public static FileLogFollower of(Path path, DeliveryLogParser parser, DeliveryLogListener listener) {
    return new FileLogFollower(path, LogFollower.delivering(parser, listener), Timing.STANDARD);
  }

  @Override
  public FileLogFollower start() {
    thread.start();
    return this;
  }

  @Override
  public String description() {
    return "file " + path;
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    boolean first = true;
    while (!closed) {
      Duration wait = timing.poll();
      try {
        if (current == null) {
          current = open(first);
          first = false;
          if (!problem.isEmpty()) {
            LOG.info("event=feedback-source-ok source={} after={}", LogValues.of(description()), LogValues.of(problem));
            problem = "";
          }
          backoff.reset();
        }
        poll();
      } catch (NoSuchFileException e) {
        wait = trouble("missing", "does not exist (yet); waiting for it");
        first = false; // a file that appears later is read from its start: it is all new
      } catch (AccessDeniedException e) {
        wait = trouble("unreadable", "cannot be read by this user (" + System.getProperty("user.name") + ")");
        first = false;
      } catch (IOException | RuntimeException e) {
        wait = trouble("error", e.toString());
        closeQuietly(current);
        current = null;
        first = false;
      }
      sleep(wait);
    }
    closeQuietly(current);
    closeQuietly(previous);
  }

  private Duration trouble(String kind, String why) {
    if (!problem.equals(kind)) {
      LOG.warn("event=feedback-source-problem source={} problem={} detail={} retry=backoff", LogValues.of(description()),
          kind, LogValues.of(why));
      problem = kind;
    }
    return backoff.next();
  }

  private Open open(boolean atEnd) throws IOException {
    FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
    try {
      Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
      Open o = new Open(ch, key, lines);
      long size = ch.size();
      if (atEnd) {
        o.position = size;
        o.dropFirst = size > 0 && !endsWithNewline(ch, size);
      }
      o.head = readHead(ch, Math.min(HEAD, size));
      return o;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private void poll() throws IOException {
    if (previous != null) {
      read(previous);
      if (System.nanoTime() > previous.graceUntil) {
        previous.splitter.finish();
        closeQuietly(previous);
        previous = null;
      }
    }
    read(current);
    BasicFileAttributes now;
    try {
      now = Files.readAttributes(path, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      // Renamed away and not yet recreated: keep reading the old file; say so only if it lasts.
      return;
    }
    if (!Objects.equals(now.fileKey(), current.key)) {
      rotated();
      return;
    }
    long size = current.channel.size();
    if (size < current.position || !sameHead(current, size)) {
      truncated(size);
    }
  }

  /**
   * copytruncate: the lines written after our last read and before the truncation are in the copy
   * logrotate just made ({@code mail.log.1}, {@code mail.log-20261203}); they are read from there (the
   * copy is recognised by its first bytes and length), then the truncated file from its start.
   */
  private void truncated(long size) throws IOException {
    Path copy = findCopy(current.head, current.position);
    LOG.info("event=feedback-source-truncated source={} readUpTo={} size={} rest-from={}", LogValues.of(description()),
        current.position, size, LogValues.of(copy == null ? "none" : copy.toString()));
    if (copy != null) {
      try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.READ)) {
        Open rest = new Open(ch, null, lines);
        rest.position = current.position;
        rest.head = current.head;
        // the partial line we hold continues in the copy
        byte[] partial = current.splitter.pendingBytes();
        rest.splitter.feed(partial, 0, partial.length);
        read(rest);
        rest.splitter.finish();
      }
    }
    current.position = 0;
    current.splitter.discardPartial();
    current.head = new byte[0];
    read(current);
  }

  /** A sibling file that starts with {@code head} and is at least {@code length} long, newest first. */
  private Path findCopy(byte[] head, long length) {
    Path dir = path.toAbsolutePath().getParent();
    String name = path.getFileName().toString();
    if (dir == null || head.length == 0) {
      return null;
    }
    try (var siblings = Files.list(dir)) {
      return siblings
          .filter(p -> {
            String n = p.getFileName().toString();
            return (n.startsWith(name + ".") || n.startsWith(name + "-")) && !n.endsWith(".gz") && !n.endsWith(".xz")
                && !n.endsWith(".bz2") && !n.endsWith(".zst") && Files.isRegularFile(p);
          })
          .sorted(java.util.Comparator.comparing(FileLogFollower::modified).reversed())
          .limit(4)
          .filter(p -> startsWith(p, head, length))
          .findFirst().orElse(null);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static java.nio.file.attribute.FileTime modified(Path p) {
    try {
      return Files.getLastModifiedTime(p);
    } catch (IOException e) {
      return java.nio.file.attribute.FileTime.fromMillis(0);
    }
  }

  private static boolean startsWith(Path p, byte[] head, long length) {
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
      return ch.size() >= length && Arrays.equals(readHead(ch, head.length), head);
    } catch (IOException e) {
      return false;
    }
  }

  /** The path names a new file: finish the old one (kept open a while longer), read the new one from 0. */
  private void rotated() throws IOException {
    Open next = open(false);
    read(current);
    if (previous != null) {
      previous.splitter.finish();
      closeQuietly(previous);
    }
    previous = current;
    previous.graceUntil = System.nanoTime() + timing.rotationGrace().toNanos();
    current = next;
    LOG.info("event=feedback-source-rotated source={}", LogValues.of(description()));
    read(current);
  }

  private static void read(Open o) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    while (true) {
      buf.clear();
      int n = o.channel.read(buf, o.position);
      if (n <= 0) {
        break;
      }
      if (o.head.length < HEAD) {
        o.head = readHead(o.channel, Math.min(HEAD, o.position + n));
      }
      o.splitter.feed(buf.array(), 0, n);
      o.position += n;
    }
  }

  /** True when the file still starts with the bytes it started with when they were read. */
  private static boolean sameHead(Open o, long size) throws IOException {
    if (o.head.length == 0) {
      return true;
    }
    byte[] now = readHead(o.channel, Math.min(o.head.length, size));
    return Arrays.equals(now, o.head);
  }

  private static byte[] readHead(FileChannel ch, long length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate((int) length);
    while (b.hasRemaining()) {
      if (ch.read(b, b.position()) <= 0) {
        break;
      }
    }
    return Arrays.copyOf(b.array(), b.position());
  }

  private static boolean endsWithNewline(FileChannel ch, long size) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(1);
    return ch.read(b, size - 1) == 1 && b.get(0) == '\n';
  }

  private static void closeQuietly(Open o) {
    if (o != null) {
      try {
        o.channel.close();
      } catch (IOException e) {
        // nothing to do: the file is being let go anyway
      }
    }
  }

  private void sleep(Duration d) {
    try {
      Thread.sleep(Math.max(1, d.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closed = true;
    }
  }
}
