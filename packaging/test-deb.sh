#!/usr/bin/env bash
# Checks the built .deb with lintian (no errors or warnings; overrides only with a written reason),
# installs it on this machine, runs it as installed, checks that the maintainer scripts keep the
# admin's choices across an upgrade, then removes and purges it and checks what is left behind.
# Run as root after: mvn -B -Pdeb package -DskipTests
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(ls target/ptrguard_*_all.deb | head -1)
export DEBIAN_FRONTEND=noninteractive
fail() { echo "test-deb: $*" >&2; exit 1; }
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
has() { grep -qx "./$1" <<<"$contents"; }

# --- lintian -----------------------------------------------------------------------------------
command -v lintian >/dev/null || fail "lintian not found: install it (.ci/install-deps)"
# Every override carries a comment saying why (lintian prints it with the overridden tag).
awk '/^#/ {c=1; next} /^[[:space:]]*$/ {c=0; next} !c {print "override without a reason: " $0; bad=1} {c=0} END {exit bad}' \
  packaging/deb/lintian-overrides || fail "packaging/deb/lintian-overrides: write the reason above each override"
# (--show-overrides would count the overridden warnings in the exit status: shown separately.)
lintian --fail-on error,warning "$deb" >&2 || fail "lintian found errors or warnings"
lintian_out=$(lintian -I --show-overrides "$deb" 2>&1 | grep -v '^running with root privileges' || true)
echo "$lintian_out"
grep -q 'unused-override' <<<"$lintian_out" && fail "remove the unused override from packaging/deb/lintian-overrides"
echo "test-deb: lintian clean"

# --- contents ----------------------------------------------------------------------------------
for f in usr/share/doc/ptrguard/copyright usr/share/doc/ptrguard/changelog.Debian.gz \
    usr/share/doc/ptrguard/examples/monitoring/ptrguard-alerts.yml \
    usr/share/doc/ptrguard/examples/monitoring/ptrguard-dashboard.json; do
  has "$f" || fail "$f missing from the package"
done
# The man pages and completion come from the build (target/man, target/completion): once the
# generator is in the tree or the build made any of them, the package must carry them all.
if [ -f src/main/java/org/ptrguard/cli/ManPage.java ] || [ -e target/man/ptrguard.8 ] || [ -e target/man/ptrguard.conf.5 ] \
    || [ -e target/completion/ptrguard ]; then
  for f in usr/share/man/man8/ptrguard.8.gz usr/share/man/man5/ptrguard.conf.5.gz usr/share/bash-completion/completions/ptrguard; do
    has "$f" || fail "$f missing from the package, but the build generates man pages or completion: check target/man and target/completion"
  done
fi
version=$(dpkg-deb -f "$deb" Version)
changelog_version=$(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/share/doc/ptrguard/changelog.Debian.gz | zcat | sed -n '1s/^ptrguard (\([^)]*\)).*/\1/p')
[ "$changelog_version" = "$version" ] || fail "packaging/deb/changelog's first entry ($changelog_version) differs from the package version ($version, deb.version in pom.xml)"

# --- install -----------------------------------------------------------------------------------
wants=/etc/systemd/system/multi-user.target.wants/ptrguard.service
apt-get install -y -qq "./$deb" >/dev/null
dpkg -s ptrguard | grep -q '^Status: install ok installed' || fail "not installed"
getent passwd ptrguard >/dev/null || fail "no ptrguard system user"
[ "$(stat -c '%U:%G %a' /etc/ptrguard/ptrguard.conf)" = "root:ptrguard 640" ] || fail "conffile owner/mode: $(stat -c '%U:%G %a' /etc/ptrguard/ptrguard.conf)"
[ "$(stat -c '%U:%G %a' /var/spool/postfix/ptrguard)" = "ptrguard:ptrguard 750" ] \
  || fail "/var/spool/postfix/ptrguard (socket directory for a chrooted smtpd) missing or wrong owner/mode"
[ -L "$wants" ] || fail "ptrguard.service not enabled on first install"
[ -e /etc/systemd/system/sockets.target.wants/ptrguard.socket ] && fail "ptrguard.socket must stay disabled unless the admin enables it"
ptrguard check --help | grep -q 'usage: ptrguard check' || fail "check --help"
ptrguard config > /tmp/ptrguard-config.out || fail "ptrguard config exited $?"
grep -q '^mode = audit    # /etc/ptrguard/ptrguard.conf' /tmp/ptrguard-config.out || fail "config does not read the installed file"
# publicsuffix is recommended (installed by apt-get above): ptrguard then uses Debian's list.
grep -q '^# public suffixes: the public suffix list /usr/share/publicsuffix/public_suffix_list.dat' /tmp/ptrguard-config.out \
  || fail "config does not use Debian's public suffix list: $(grep 'public suffixes' /tmp/ptrguard-config.out)"
systemd-analyze verify /usr/lib/systemd/system/ptrguard.service /usr/lib/systemd/system/ptrguard.socket \
  || fail "systemd-analyze verify"
echo "test-deb: installed and ran: $(dpkg-query -W -f='${Package} ${Version}' ptrguard)"

# --- upgrade keeps the admin's choice --------------------------------------------------------
# The admin disables the service; installing the package again (postinst configure with the old
# version in $2, as on an upgrade) must not enable it again.
systemctl disable ptrguard.service >/dev/null 2>&1 || rm -f "$wants"
[ -e "$wants" ] && fail "could not disable ptrguard.service for the test"
dpkg -i "$deb" >/dev/null
[ -e "$wants" ] && fail "the upgrade enabled ptrguard.service again after the admin disabled it"
# And an admin who enables it again keeps it enabled across the next upgrade.
systemctl enable ptrguard.service >/dev/null 2>&1 || ln -s /usr/lib/systemd/system/ptrguard.service "$wants"
dpkg -i "$deb" >/dev/null
[ -L "$wants" ] || fail "the upgrade disabled ptrguard.service"
echo "test-deb: upgrade keeps the unit's enablement as the admin left it"

# --- remove and purge --------------------------------------------------------------------------
apt-get remove -y -qq ptrguard >/dev/null
[ -e /usr/share/ptrguard/ptrguard.jar ] && fail "jar left after remove"
[ -e /etc/ptrguard/ptrguard.conf ] || fail "conffile must survive remove (dpkg policy)"
apt-get purge -y -qq ptrguard >/dev/null
for path in /etc/ptrguard /var/lib/ptrguard /usr/share/ptrguard /usr/bin/ptrguard /usr/lib/systemd/system/ptrguard.service \
    /usr/lib/systemd/system/ptrguard.socket /var/spool/postfix/ptrguard "$wants" \
    /var/lib/systemd/deb-systemd-helper-enabled/ptrguard.service.dsh-also \
    /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/ptrguard.service; do
  [ -e "$path" ] || [ -L "$path" ] && fail "$path left after purge"
done
# The system user stays, as Debian's own daemons' users do (files it owned elsewhere keep a name).
getent passwd ptrguard >/dev/null || fail "purge deleted the ptrguard user"
dpkg -s ptrguard >/dev/null 2>&1 && fail "package still known to dpkg"
echo "test-deb: removed and purged; the ptrguard user is kept, nothing else left behind"
