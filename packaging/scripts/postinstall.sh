#!/bin/sh
# postinst: own and protect the state and secrets directories, then enable the unit. The service
# is NOT started on first install (it needs a config first); on upgrade a running one is restarted.
set -e

# Ownership through dpkg-statoverride, so dpkg keeps it on every later upgrade.
own() { # user group mode path
  if ! dpkg-statoverride --list "$4" >/dev/null 2>&1; then
    dpkg-statoverride --update --add "$1" "$2" "$3" "$4"
  fi
}

case "$1" in
  configure)
    # The user normally exists already (preinst); this covers a purged-then-reconfigured state.
    if ! getent group pipam >/dev/null; then addgroup --system --quiet pipam; fi
    if ! getent passwd pipam >/dev/null; then
      adduser --system --quiet --ingroup pipam --home /var/lib/pipam --no-create-home \
        --shell /usr/sbin/nologin --gecos "pipam daemon" pipam
    fi
    own pipam pipam 0750 /var/lib/pipam
    own root pipam 0750 /etc/pipam/secrets
    own root pipam 0640 /etc/pipam/config.toml
    ;;
esac

if [ "$1" = "configure" ] || [ "$1" = "abort-upgrade" ] || [ "$1" = "abort-deconfigure" ] || [ "$1" = "abort-remove" ]; then
  # Enable (symlink into multi-user.target.wants) on first install, honour a disable on upgrade.
  # deb-systemd-helper works without a running systemd (chroots, containers, image builds).
  deb-systemd-helper unmask pipam.service >/dev/null || true
  if deb-systemd-helper --quiet was-enabled pipam.service; then
    deb-systemd-helper enable pipam.service >/dev/null || true
  else
    deb-systemd-helper update-state pipam.service >/dev/null || true
  fi
  if [ -d /run/systemd/system ]; then
    systemctl --system daemon-reload >/dev/null || true
    # $2 is the previously configured version: set on upgrade, empty on first install.
    if [ -n "$2" ]; then
      deb-systemd-invoke try-restart pipam.service >/dev/null || true
    fi
  fi
fi

exit 0
