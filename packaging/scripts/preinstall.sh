#!/bin/sh
# preinst: create the pipam system user and group before the files are unpacked, so that the
# package's pipam-owned paths resolve to them.
set -e

case "$1" in
  install | upgrade)
    if ! getent group pipam >/dev/null; then
      addgroup --system --quiet pipam
    fi
    if ! getent passwd pipam >/dev/null; then
      adduser --system --quiet --ingroup pipam --home /var/lib/pipam --no-create-home \
        --shell /usr/sbin/nologin --gecos "pipam daemon" pipam
    fi
    ;;
esac

exit 0
