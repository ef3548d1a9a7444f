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
  packaging/rpm/ptrguard.sysusers README.md "$top/SOURCES/"
rpmbuild -bb --quiet --define "_topdir $top" packaging/rpm/ptrguard.spec >"$top/build.log" 2>&1 \
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
/usr/share/ptrguard
/usr/share/ptrguard/ptrguard.jar
/var/lib/ptrguard"
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
rpm -qp --dump "$rpm" 2>/dev/null | awk '$1=="/usr/bin/ptrguard" && $5=="0100755" {ok=1} END {exit !ok}' || fail "launcher not 0755"

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
