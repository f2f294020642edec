# syntax=docker/dockerfile:1
# pipam container image: one compiled binary on debian:bookworm-slim, running as a non-root user.
#   docker build -t pipam .                       (the default target is the runtime image)
#   docker build --target sim -t pipam-sim .      (Proxmox VE API simulator, for examples/)
# No Docker engine runs on the build machine of this project; test/packaging/docker.test.ts
# checks this file statically and runs its build steps as a script (docs/install.md).

# ---- build: Node + npm ci (Bun comes from npm as a pinned dev dependency) → dist/pipam
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ARG PIPAM_COMMIT=unknown
RUN PIPAM_COMMIT="$PIPAM_COMMIT" bash scripts/build.sh && ./dist/pipam --version

# ---- sim: the Proxmox VE API simulator (HTTPS; makes its certificate with openssl)
FROM build AS sim
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl \
 && rm -rf /var/lib/apt/lists/*
USER node
EXPOSE 8006
ENTRYPOINT ["node_modules/.bin/bun", "scripts/sim.ts", "--host", "0.0.0.0", "--port", "8006"]

# ---- runtime (last stage = default target)
FROM debian:bookworm-slim AS runtime
RUN set -eu; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates; \
    rm -rf /var/lib/apt/lists/*; \
    groupadd --system pipam; \
    useradd --system --gid pipam --home-dir /var/lib/pipam --no-create-home \
      --shell /usr/sbin/nologin --comment "pipam daemon" pipam; \
    install -d -m 0755 -o root -g root /etc/pipam; \
    install -d -m 0750 -o root -g pipam /etc/pipam/secrets; \
    install -d -m 0750 -o pipam -g pipam /var/lib/pipam
# Never strip the binary: the app is a payload inside it.
COPY --from=build --chmod=0755 /src/dist/pipam /usr/bin/pipam
COPY --chown=root:pipam --chmod=0640 packaging/config.toml /etc/pipam/config.toml
USER pipam:pipam
WORKDIR /var/lib/pipam
VOLUME ["/var/lib/pipam"]
EXPOSE 9180
# Liveness: the HTTP port accepts connections (the image has no curl; /healthz is on that port).
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9180"]
ENTRYPOINT ["/usr/bin/pipam"]
CMD ["run", "--config", "/etc/pipam/config.toml"]
