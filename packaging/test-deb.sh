#!/usr/bin/env bash
# Installs the built .deb on this machine, runs it as installed, then removes and purges it and
# checks that nothing is left behind. Run as root after: mvn -B -Pdeb package -DskipTests
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(ls target/ptrguard_*_all.deb | head -1)
export DEBIAN_FRONTEND=noninteractive
fail() { echo "test-deb: $*" >&2; exit 1; }

apt-get install -y -qq "./$deb" >/dev/null
dpkg -s ptrguard | grep -q '^Status: install ok installed' || fail "not installed"
getent passwd ptrguard >/dev/null || fail "no ptrguard system user"
[ "$(stat -c '%U:%G %a' /etc/ptrguard/ptrguard.conf)" = "root:ptrguard 640" ] || fail "conffile owner/mode: $(stat -c '%U:%G %a' /etc/ptrguard/ptrguard.conf)"
ptrguard check --help | grep -q 'usage: ptrguard check' || fail "check --help"
ptrguard config > /tmp/ptrguard-config.out || fail "ptrguard config exited $?"
grep -q '^mode = audit    # /etc/ptrguard/ptrguard.conf' /tmp/ptrguard-config.out || fail "config does not read the installed file"
systemd-analyze verify /usr/lib/systemd/system/ptrguard.service /usr/lib/systemd/system/ptrguard.socket \
  || fail "systemd-analyze verify"
echo "test-deb: installed and ran: $(dpkg-query -W -f='${Package} ${Version}' ptrguard)"

apt-get remove -y -qq ptrguard >/dev/null
[ -e /usr/share/ptrguard/ptrguard.jar ] && fail "jar left after remove"
[ -e /etc/ptrguard/ptrguard.conf ] || fail "conffile must survive remove (dpkg policy)"
apt-get purge -y -qq ptrguard >/dev/null
for path in /etc/ptrguard /var/lib/ptrguard /usr/share/ptrguard /usr/bin/ptrguard /usr/lib/systemd/system/ptrguard.service /usr/lib/systemd/system/ptrguard.socket; do
  [ -e "$path" ] && fail "$path left after purge"
done
getent passwd ptrguard >/dev/null && fail "ptrguard user left after purge"
dpkg -s ptrguard >/dev/null 2>&1 && fail "package still known to dpkg"
echo "test-deb: removed and purged, nothing left behind"
