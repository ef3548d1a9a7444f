package org.ptrguard.milter;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.ptrguard.ops.LogValues;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file of a unix-socket listener. The socket must never be reachable with the wrong mode or
 * group (umask would give 0755/0775, and a chmod after bind leaves a window), so it is bound
 * inside a fresh 0700 directory next to the target, given its mode and group there, where nobody
 * else can reach it, and then renamed into place: rename is atomic and keeps the bound inode, so
 * the socket appears at its path already with the right permissions.
 */
final class UnixSocketFile {
  private static final Logger LOG = LoggerFactory.getLogger(UnixSocketFile.class);
  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;
  private static final String STAGING_PREFIX = ".ptrguard-";
  /** This version's {@code .ptrguard-PID.N}, and earlier versions' {@code .ptrguard-DIGITS}. */
  private static final java.util.regex.Pattern STAGING_NAME = java.util.regex.Pattern.compile("\\.ptrguard-(\\d{1,19})(\\.\\d{1,5})?");

  private final Path target;
  private final Path privateDir;
  private final Path bindPath;
  private final Set<PosixFilePermission> mode;
  private final Optional<GroupPrincipal> group;
  private Object fileKey;

  private UnixSocketFile(Path target, Path privateDir, Set<PosixFilePermission> mode, Optional<GroupPrincipal> group) {
    this.target = target;
    this.privateDir = privateDir;
    this.bindPath = privateDir.resolve("s");
    this.mode = mode;
    this.group = group;
  }

  /**
   * Checks the directory, removes a stale socket at {@code target} (refusing anything else there,
   * and a live socket), removes staging directories a killed process left, and makes the private dir.
   *
   * @throws IOException "cannot listen on milter listener unix:PATH: CAUSE"
   */
  static UnixSocketFile prepare(Path target, String octalMode, Optional<String> group) throws IOException {
    String name = "milter listener unix:" + target;
    Path parent = target.getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new IOException("cannot listen on " + name + ": directory " + parent + " does not exist");
    }
    Optional<GroupPrincipal> groupPrincipal = Optional.empty();
    if (group.isPresent()) {
      try {
        groupPrincipal = Optional.of(parent.getFileSystem().getUserPrincipalLookupService()
            .lookupPrincipalByGroupName(group.get()));
      } catch (IOException e) {
        throw new IOException("cannot listen on " + name + ": unknown group '" + group.get() + "'", e);
      }
    }
    removeStale(target, name);
    removeStaleStaging(parent);
    try {
      return new UnixSocketFile(target, createStaging(parent), permissions(octalMode), groupPrincipal);
    } catch (AccessDeniedException e) {
      throw new IOException("cannot listen on " + name + ": directory " + parent + " is not writable by user "
          + System.getProperty("user.name") + " (the socket is created there)", e);
    } catch (FileSystemException e) {
      throw new IOException("cannot listen on " + name + ": cannot create a file in directory " + parent + ": "
          + (e.getReason() != null ? e.getReason() : e.getClass().getSimpleName()), e);
    }
  }

  /**
   * {@code DIR/.ptrguard-PID.N}, mode 0700: the PID tells a later start whether its maker still runs
   * (a kill -9 between bind and rename leaves it behind). At most 20 characters after the dash (see
   * {@link org.ptrguard.net.ListenAddress.Unix#STAGING_EXTRA_BYTES}).
   */
  private static Path createStaging(Path parent) throws IOException {
    long pid = ProcessHandle.current().pid();
    java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
    for (int attempt = 0; ; attempt++) {
      Path dir = parent.resolve(STAGING_PREFIX + pid + "." + random.nextInt(100_000));
      try {
        return Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(EnumSet.of(
            PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE)));
      } catch (FileAlreadyExistsException e) {
        if (attempt == 100) {
          throw e;
        }
      }
    }
  }

  /**
   * Removes staging directories whose process is gone: {@code .ptrguard-PID.N} of a PID that no longer
   * runs, and {@code .ptrguard-DIGITS} (earlier versions' random names) older than a minute. Only a
   * directory holding nothing or our socket name is removed; anything else is left and logged.
   */
  static void removeStaleStaging(Path parent) {
    List<Path> candidates;
    try (Stream<Path> entries = Files.list(parent)) {
      candidates = entries.filter(p -> isStaleStaging(p)).toList();
    } catch (IOException | java.io.UncheckedIOException e) {
      LOG.warn("event=milter-socket-cleanup-failed path={} error={}", LogValues.of(parent), LogValues.of(e.getMessage()));
      return;
    }
    for (Path dir : candidates) {
      try {
        Files.deleteIfExists(dir.resolve("s"));
        Files.delete(dir);
        LOG.info("event=milter-stale-staging-removed path={}", LogValues.of(dir));
      } catch (IOException e) {
        LOG.warn("event=milter-socket-cleanup-failed path={} error={}", LogValues.of(dir), LogValues.of(e.toString()));
      }
    }
  }

  private static boolean isStaleStaging(Path p) {
    java.util.regex.Matcher m = STAGING_NAME.matcher(p.getFileName().toString());
    if (!m.matches() || !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    if (m.group(2) != null) {
      long pid = Long.parseLong(m.group(1));
      return ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true);
    }
    try {
      return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant()
          .isBefore(java.time.Instant.now().minusSeconds(60));
    } catch (IOException e) {
      return false;
    }
  }

  private static void removeStale(Path target, String name) throws IOException {
    int mode;
    try {
      mode = (Integer) Files.getAttribute(target, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return;
    }
    if ((mode & S_IFMT) != S_IFSOCK) {
      throw new IOException("cannot listen on " + name + ": " + target + " exists and is not a socket; refusing to"
          + " remove it");
    }
    // A live socket belongs to another running server: taking it over would cut that one off.
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.connect(UnixDomainSocketAddress.of(target));
      throw new IOException("cannot listen on " + name + ": another process is accepting connections on " + target
          + " (a second ptrguard?); stop it or choose another path");
    } catch (java.net.ConnectException e) {
      Files.deleteIfExists(target);
      LOG.info("event=milter-stale-socket-removed path={}", LogValues.of(target));
    }
  }

  Path target() {
    return target;
  }

  Path bindPath() {
    return bindPath;
  }

  /** After bind: set mode and group in the private dir, then rename into place. */
  void publish() throws IOException {
    Files.setPosixFilePermissions(bindPath, mode);
    if (group.isPresent()) {
      Files.getFileAttributeView(bindPath, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setGroup(group.get());
    }
    Files.move(bindPath, target, StandardCopyOption.ATOMIC_MOVE);
    fileKey = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    Files.deleteIfExists(privateDir);
  }

  /** Bind or publish failed: leave nothing behind. */
  void discard() {
    try {
      Files.deleteIfExists(bindPath);
      Files.deleteIfExists(privateDir);
    } catch (IOException e) {
      LOG.warn("event=milter-socket-cleanup-failed path={} error={}", LogValues.of(privateDir), LogValues.of(e.getMessage()));
    }
  }

  /** On shutdown, remove the socket file unless another server has replaced it meanwhile. */
  void removeIfOurs() {
    try {
      Object key = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
      if (fileKey != null && Objects.equals(key, fileKey)) {
        Files.deleteIfExists(target);
      }
    } catch (NoSuchFileException e) {
      // already gone
    } catch (IOException e) {
      LOG.warn("event=milter-socket-cleanup-failed path={} error={}", LogValues.of(target), LogValues.of(e.getMessage()));
    }
    discard();
  }

  static Set<PosixFilePermission> permissions(String octal) {
    int bits = Integer.parseInt(octal, 8);
    StringBuilder s = new StringBuilder();
    String rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) {
      s.append((bits & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
    }
    return PosixFilePermissions.fromString(s.toString());
  }
}
