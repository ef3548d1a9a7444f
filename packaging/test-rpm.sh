#!/usr/bin/env bash
# Builds the binary RPM (packaging/rpm/ptrguard.spec) from the already-built target/ptrguard.jar and
# checks it by querying: rpm on Debian cannot install it (no RHEL dependencies), so the check is the
# file list, owners and modes, the conffile, the dependencies and the scriptlets.
# Run after: mvn -B package -DskipTests   (needs rpmbuild: Debian package rpm)
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "test-rpm: $*" >&2; exit 1; }
command -v rpmbuild >/dev/null || fail "rpmbuild not found: install the Debian package rpm (.ci/install-deps)"
[ -f target/ptrguard.jar ] || fail "target/ptrguard.jar missing: run mvn -B package -DskipTests first"

top=$(mktemp -d /tmp/ptrguard-rpm.XXXXXX)
trap 'rm -rf "$top"' EXIT
mkdir -p "$top/SOURCES"
cp target/ptrguard.jar packaging/bin/ptrguard packaging/etc/ptrguard.conf packaging/systemd/ptrguard.service \
  packaging/systemd/ptrguard.socket \
  packaging/rpm/ptrguard.sysusers README.md LICENSE "$top/SOURCES/"
# The man pages and completion come from the build (target/man, target/completion): once it makes
# them, the RPM must carry them all.
man=()
generated=""
if [ -f src/main/java/org/ptrguard/cli/ManPage.java ] || [ -e target/man/ptrguard.8 ] || [ -e target/man/ptrguard.conf.5 ] \
    || [ -e target/completion/ptrguard ]; then
  for f in target/man/ptrguard.8 target/man/ptrguard.conf.5 target/completion/ptrguard; do
    [ -f "$f" ] || fail "$f missing, but the build generates man pages or completion"
  done
  cp target/man/ptrguard.8 target/man/ptrguard.conf.5 "$top/SOURCES/"
  cp target/completion/ptrguard "$top/SOURCES/ptrguard.bash-completion"
  man=(--define "ptrguard_man 1")
  generated="
/usr/share/bash-completion/completions/ptrguard
/usr/share/man/man5/ptrguard.conf.5.gz
/usr/share/man/man8/ptrguard.8.gz"
fi
rpmbuild -bb --quiet --define "_topdir $top" "${man[@]}" packaging/rpm/ptrguard.spec >"$top/build.log" 2>&1 \
  || { cat "$top/build.log" >&2; fail "rpmbuild failed"; }
rpm=$(ls "$top"/RPMS/noarch/ptrguard-*.noarch.rpm)
cp "$rpm" target/
echo "test-rpm: built target/$(basename "$rpm")"

expected="/etc/ptrguard
/etc/ptrguard/ptrguard.conf
/usr/bin/ptrguard
/usr/lib/systemd/system/ptrguard.service
/usr/lib/systemd/system/ptrguard.socket
/usr/lib/sysusers.d/ptrguard.conf
/usr/share/doc/ptrguard
/usr/share/doc/ptrguard/README.md
/usr/share/licenses/ptrguard
/usr/share/licenses/ptrguard/LICENSE
/usr/share/ptrguard
/usr/share/ptrguard/ptrguard.jar
/var/lib/ptrguard
/var/spool/postfix/ptrguard$generated"
expected=$(sort <<<"$expected")
actual=$(rpm -qlp "$rpm" 2>/dev/null | sort)
[ "$actual" = "$expected" ] || fail "file list differs:$(diff <(echo "$expected") <(echo "$actual"))"

[ "$(rpm -qp --configfiles "$rpm" 2>/dev/null)" = "/etc/ptrguard/ptrguard.conf" ] || fail "conffile: $(rpm -qp --configfiles "$rpm")"
# %config(noreplace) shows as file flags "cn"
[ "$(rpm -qp --qf '[%{FILENAMES} %{FILEFLAGS:fflags}\n]' "$rpm" 2>/dev/null | awk '$1=="/etc/ptrguard/ptrguard.conf" {print $2}')" = "cn" ] \
  || fail "conffile is not %config(noreplace): $(rpm -qp --qf '[%{FILENAMES} %{FILEFLAGS:fflags}\n]' "$rpm")"
rpm -qp --dump "$rpm" 2>/dev/null | awk '$1=="/etc/ptrguard/ptrguard.conf" && $5=="0100640" && $6=="root" && $7=="ptrguard" {ok=1} END {exit !ok}' \
  || fail "conffile mode/owner: $(rpm -qp --dump "$rpm" | grep ptrguard.conf)"
rpm -qp --dump "$rpm" 2>/dev/null | awk '$1=="/var/lib/ptrguard" && $5=="040750" && $6=="ptrguard" && $7=="ptrguard" {ok=1} END {exit !ok}' \
  || fail "/var/lib/ptrguard mode/owner: $(rpm -qp --dump "$rpm" | grep /var/lib)"
rpm -qp --dump "$rpm" 2>/dev/null | awk '$1=="/var/spool/postfix/ptrguard" && $5=="040750" && $6=="ptrguard" && $7=="ptrguard" {ok=1} END {exit !ok}' \
  || fail "/var/spool/postfix/ptrguard mode/owner: $(rpm -qp --dump "$rpm" | grep /var/spool)"
rpm -qp --dump "$rpm" 2>/dev/null | awk '$1=="/usr/bin/ptrguard" && $5=="0100755" {ok=1} END {exit !ok}' || fail "launcher not 0755"
[ "$(rpm -qp --qf '%{LICENSE}' "$rpm" 2>/dev/null)" = "Apache-2.0" ] || fail "License: $(rpm -qp --qf '%{LICENSE}' "$rpm")"

requires=$(rpm -qp --requires "$rpm" 2>/dev/null)
for dep in java-17-openjdk-headless shadow-utils systemd; do
  grep -qx "$dep" <<<"$(sed 's/ .*//' <<<"$requires")" || fail "missing Requires: $dep (have: $requires)"
done

scripts=$(rpm -qp --scripts "$rpm" 2>/dev/null)
for part in "preinstall scriptlet" "postinstall scriptlet" "preuninstall scriptlet" "postuninstall scriptlet" \
    "useradd -r -g ptrguard" "usermod -a -G ptrguard postfix" "preset ptrguard.service" "disable --now ptrguard.service" "try-restart ptrguard.service"; do
  grep -qF "$part" <<<"$scripts" || fail "scriptlets lack '$part':"$'\n'"$scripts"
done
grep -q '%systemd' <<<"$scripts" && fail "unexpanded systemd macro in the scriptlets"

# The payload holds exactly the files the .deb ships.
payload="$top/payload"
mkdir "$payload"
(cd "$payload" && rpm2cpio "$rpm" | cpio -idm --quiet)
cmp -s "$payload/usr/share/ptrguard/ptrguard.jar" target/ptrguard.jar || fail "jar in the RPM differs from target/ptrguard.jar"
cmp -s "$payload/usr/bin/ptrguard" packaging/bin/ptrguard || fail "launcher differs"
cmp -s "$payload/usr/lib/systemd/system/ptrguard.service" packaging/systemd/ptrguard.service || fail "unit differs"
cmp -s "$payload/etc/ptrguard/ptrguard.conf" packaging/etc/ptrguard.conf || fail "conffile differs"
echo "test-rpm: $(rpm -qp --qf '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}' "$rpm" 2>/dev/null): files, conffile, owners, requires and scriptlets as expected"

# rpmlint: no errors or warnings beyond the filters in packaging/rpm/ptrguard.rpmlintrc, each with its reason.
if command -v rpmlint >/dev/null; then
  lint=$(rpmlint -c packaging/rpm/rpmlint.toml -r packaging/rpm/ptrguard.rpmlintrc "$rpm" 2>&1) || { echo "$lint" >&2; fail "rpmlint found errors"; }
  grep -E ': (W|E): ' <<<"$lint" >&2 && fail "rpmlint warnings (fix, or filter in packaging/rpm/ptrguard.rpmlintrc with the reason)"
  echo "test-rpm: rpmlint clean ($(tail -1 <<<"$lint"))"
else
  echo "test-rpm: rpmlint not installed, RPM not linted"
fi
