#!/usr/bin/env bash
# Builds dist/pipam_<version>_<arch>.deb from nfpm.yaml.
#   ARCH=amd64 (default) | arm64     target architecture (arm64 is cross-compiled offline)
#   PIPAM_VERSION=0.1.1              package version (default: package.json's "version")
#   PIPAM_DIST=<dir>                 where the binary, staging and .deb go (default: dist)
#   PIPAM_SKIP_BUILD=1               reuse an existing dist/pipam[-arm64] instead of rebuilding
#   PIPAM_PACKAGER=nfpm|dpkg-deb     force a packager (default: nfpm if on PATH, else dpkg-deb)
#   PIPAM_DEB_COMPRESSION=gzip|zstd  override nfpm.yaml's xz (xz: ~40 MB but ~80 s of CPU;
#                                    gzip: ~53 MB in ~6 s — what the tests use)
# nfpm is the packager; where it is missing (this machine's registries lack it), the same
# nfpm.yaml is turned into a .deb by scripts/nfpm-to-deb.ts with dpkg-deb.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
ARCH="${ARCH:-amd64}"
DIST="${PIPAM_DIST:-dist}"
case "$ARCH" in
  amd64) bin="$DIST/pipam" ;;
  arm64) bin="$DIST/pipam-arm64" ;;
  *) echo "package-deb: unknown ARCH=$ARCH (amd64|arm64)" >&2; exit 2 ;;
esac
VERSION="${PIPAM_VERSION:-$(node -p 'require("./package.json").version')}"

if [ "${PIPAM_SKIP_BUILD:-0}" != 1 ] || [ ! -x "$bin" ]; then
  ARCH="$ARCH" PIPAM_VERSION="$VERSION" PIPAM_DIST="$DIST" bash scripts/build.sh
fi

# Generated inputs nfpm.yaml points at: the binary, the gzipped man page and changelog.
stage="$DIST/deb/$ARCH"
rm -rf "$stage"; mkdir -p "$stage"
cp "$bin" "$stage/pipam"   # never strip: that drops the embedded JS payload
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"
gzip -9n <packaging/pipam.1 >"$stage/pipam.1.gz"
{
  echo "pipam ($VERSION) unstable; urgency=medium"
  echo
  echo "  * Release $VERSION (commit $commit)."
  echo
  echo " -- pipam maintainers <pipam@example.org>  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$stage/changelog.gz"
touch -d "@$SOURCE_DATE_EPOCH" "$stage"/*

export PIPAM_DEB_ARCH="$ARCH" PIPAM_VERSION="$VERSION" PIPAM_DEB_STAGE="$stage"
out="$DIST/pipam_${VERSION}_${ARCH}.deb"
rm -f "$out"
packager="${PIPAM_PACKAGER:-$(command -v nfpm >/dev/null && echo nfpm || echo dpkg-deb)}"
comp="${PIPAM_DEB_COMPRESSION:-}"
if [ "$packager" = nfpm ]; then
  cfg=nfpm.yaml
  if [ -n "$comp" ]; then
    cfg="$stage/nfpm.yaml"
    sed -E "s/^(  compression:).*/\1 $comp/" nfpm.yaml >"$cfg"
  fi
  nfpm package --config "$cfg" --packager deb --target "$out"
else
  bun scripts/nfpm-to-deb.ts --config nfpm.yaml --target "$out" ${comp:+--compression "$comp"}
fi
echo "package-deb: $out ($(du -h "$out" | cut -f1), packager: $packager)"
