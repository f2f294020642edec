# Build entry points. ARCH=amd64 (default) | arm64:  make deb ARCH=arm64
ARCH ?= amd64
export ARCH

.PHONY: all build deb deb-amd64 deb-arm64 test-packaging clean
all: deb

# The single binary: dist/pipam (amd64) or dist/pipam-arm64.
build:
	bash scripts/build.sh

# dist/pipam_<version>_<arch>.deb from nfpm.yaml (nfpm if on PATH, else dpkg-deb).
deb:
	bash scripts/package-deb.sh

deb-amd64:
	$(MAKE) deb ARCH=amd64

deb-arm64:
	$(MAKE) deb ARCH=arm64

# Installs the .deb into this machine and purges it again (root only).
test-packaging:
	node_modules/.bin/bun test test/packaging/

clean:
	rm -rf dist/deb dist/pipam dist/pipam-arm64 dist/pipam_*.deb
