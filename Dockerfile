# syntax=docker/dockerfile:1
# The LocalStack Pro image: tini (PID 1) → docker-entrypoint (license activation + supervisor) → the product.

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.types.json ./
COPY scripts ./scripts
COPY src ./src
COPY keys ./keys
COPY entrypoint ./entrypoint
# The entrypoint's code cache made again by the Node the image runs (npm run build used the pinned one; V8 takes
# only a cache of its own version). Then drop what the container does not run (source maps, declarations, the
# library entry, the host CLI); modes are set here so the final stage needs no layer that only copies files to chmod them.
RUN npm run build \
 && /usr/local/bin/node scripts/code-cache.ts dist/main/docker-entrypoint.cjs \
 && find dist -name '*.map' -delete \
 && rm -rf dist/types dist/index.js dist/localstack.js dist/main/localstack.js \
 && chmod 0755 dist/pro-emulator.js dist/license-server.js entrypoint/docker-entrypoint

FROM node:24-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /home/localstack localstack \
 && mkdir -p /var/lib/localstack/cache /etc/localstack/conf.d /usr/lib/localstack \
 && chown -R localstack:localstack /var/lib/localstack \
 && ln -s /opt/pro-activation/dist/pro-emulator.js /usr/local/bin/pro-emulator \
 && ln -s /opt/pro-activation/dist/license-server.js /usr/local/bin/license-server
# The bundles in dist/ carry their dependencies: no node_modules in the final stage.
# package.json marks the package root (the default trusted keys are found from it).
COPY --from=build /src/package.json /opt/pro-activation/package.json
COPY --from=build /src/dist /opt/pro-activation/dist
COPY --from=build /src/entrypoint /opt/pro-activation/entrypoint
# The vendor's public signing keys, at a fixed path (the package default of LICENSE_TRUSTED_KEYS).
COPY --from=build /src/keys/trusted-keys.json /opt/pro-activation/keys/trusted-keys.json
ENV NODE_ENV=production \
    LICENSE_CACHE_DIR=/var/lib/localstack/cache \
    GATEWAY_LISTEN=0.0.0.0:4566
USER localstack
VOLUME /var/lib/localstack
EXPOSE 4566 4510-4559
# The product's own probe: it asks where GATEWAY_LISTEN says it listens (--network host runs move it off 4566).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["pro-emulator", "--health"]
ENTRYPOINT ["tini", "--", "/opt/pro-activation/entrypoint/docker-entrypoint"]
CMD ["pro-emulator"]
