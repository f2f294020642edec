#!/bin/sh
# postrm: on remove, mask the unit's enablement state; on purge, also delete the state directory,
# the ownership overrides, the pipam user and group. Config files are removed by dpkg on purge.
set -e

if [ -d /run/systemd/system ]; then
  systemctl --system daemon-reload >/dev/null || true
fi

if [ "$1" = "remove" ]; then
  if command -v deb-systemd-helper >/dev/null 2>&1; then
    deb-systemd-helper mask pipam.service >/dev/null || true
  fi
fi

if [ "$1" = "purge" ]; then
  if command -v deb-systemd-helper >/dev/null 2>&1; then
    deb-systemd-helper purge pipam.service >/dev/null || true
    deb-systemd-helper unmask pipam.service >/dev/null || true
  fi
  for p in /var/lib/pipam /etc/pipam/secrets /etc/pipam/config.toml; do
    if dpkg-statoverride --list "$p" >/dev/null 2>&1; then
      dpkg-statoverride --remove "$p" >/dev/null || true
    fi
  done
  # Raft log, snapshots, SQLite state; and secrets the admin put next to the config.
  rm -rf /var/lib/pipam /etc/pipam/secrets
  rmdir /etc/pipam 2>/dev/null || true
  if getent passwd pipam >/dev/null; then
    deluser --system --quiet pipam >/dev/null 2>&1 || userdel pipam || true
  fi
  if getent group pipam >/dev/null; then
    delgroup --system --quiet --only-if-empty pipam >/dev/null 2>&1 || groupdel pipam || true
  fi
fi

exit 0
