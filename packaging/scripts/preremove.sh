#!/bin/sh
# prerm: stop the service when the package is removed (an upgrade restarts it in postinst).
set -e

if [ "$1" = "remove" ] && [ -d /run/systemd/system ]; then
  deb-systemd-invoke stop pipam.service >/dev/null || true
fi

exit 0
