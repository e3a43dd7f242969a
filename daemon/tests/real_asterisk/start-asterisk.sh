#!/bin/sh
# Starts an installed Asterisk 22 (not part of this repository) with the configuration of the
# real-Asterisk test suite, in a scratch directory, for `cargo test -p ringside --test it real_asterisk::`.
#   sh daemon/tests/real_asterisk/start-asterisk.sh /opt/asterisk /tmp/ringside-asterisk
# then: RINGSIDE_TEST_ASTERISK_ARI_URL=http://127.0.0.1:18088/ari \
#       RINGSIDE_TEST_ASTERISK_SPOOL=/tmp/ringside-asterisk/spool \
#       cargo test -p ringside --test it real_asterisk:: -- --test-threads=1
# (the manager interface listens on 127.0.0.1:15038 for the voicemail test)
# Stop it with: <prefix>/sbin/asterisk -C <workdir>/etc/asterisk.conf -rx 'core stop now'
set -eu
PREFIX=$1
WORK=$2
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
mkdir -p "$WORK/etc" "$WORK/lib" "$WORK/spool/fax/incoming" "$WORK/run" "$WORK/log/cdr-csv" "$WORK/keys"
cp "$HERE"/etc/*.conf "$WORK/etc/"
cp "$REPO/dialplan/extensions_ringside.conf" "$REPO/dialplan/cdr.conf" "$REPO/dialplan/cdr_manager.conf" "$WORK/etc/"
# Asterisk's data dir, linked entry by entry, with Ringside's own sounds added the way the
# package installs them (sounds/ringside/), leaving the installed Asterisk untouched.
mkdir -p "$WORK/data/sounds/ringside"
for entry in "$PREFIX"/var/lib/asterisk/*; do
  [ "$(basename "$entry")" = sounds ] || ln -sfn "$entry" "$WORK/data/"
done
for entry in "$PREFIX"/var/lib/asterisk/sounds/*; do
  [ "$(basename "$entry")" = ringside ] || ln -sfn "$entry" "$WORK/data/sounds/"
done
cp "$REPO"/dialplan/sounds/ringside/*.wav "$WORK/data/sounds/ringside/"
cat > "$WORK/etc/asterisk.conf" <<CONF
[directories]
astetcdir => $WORK/etc
astmoddir => $PREFIX/lib/asterisk/modules
astvarlibdir => $WORK/lib
astdbdir => $WORK/lib
astkeydir => $WORK/keys
astdatadir => $WORK/data
astagidir => $WORK/lib/agi-bin
astspooldir => $WORK/spool
astrundir => $WORK/run
astlogdir => $WORK/log
astsbindir => $PREFIX/sbin
[options]
runuser = $(id -un)
rungroup = $(id -gn)
CONF
"$PREFIX/sbin/asterisk" -C "$WORK/etc/asterisk.conf" -f -n >"$WORK/log/console.log" 2>&1 &
for _ in $(seq 100); do
  if curl -fs -u ringside:ringside-test http://127.0.0.1:18088/ari/asterisk/ping >/dev/null 2>&1; then
    echo "Asterisk ARI up at http://127.0.0.1:18088/ari, spool $WORK/spool"
    exit 0
  fi
  sleep 0.2
done
echo "Asterisk did not come up; see $WORK/log/console.log" >&2
exit 1
