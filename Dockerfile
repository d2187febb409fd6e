# One image for every process of the app; the command decides which one runs:
#   node dist/api/server.js            API (the default)
#   node dist/temporal/worker.js       Temporal worker
#   node dist/scripts/migrate.js       one-shot: migrations, and the app role's password
#   node dist/scripts/temporalSetup.js one-shot: namespace and search attributes
#   node dist/scripts/createAdmin.js   one-shot: the first admin
# Production runs compiled JavaScript with node, never tsx. No secret is baked in: every one comes
# from the environment at run time (docker compose: the .env file).

ARG NODE_IMAGE=node:20.20-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app

# Every dependency, for the type-check and the build.
FROM base AS deps
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# Production dependencies only; the runtime stage copies this node_modules.
FROM base AS prod-deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Type-check, compile to dist/ and prebuild the workflow bundle (dist/workflow-bundle.js), so a
# worker never bundles at start-up.
FROM deps AS build
COPY . .
RUN npm run typecheck && npm run build

FROM base AS runtime
ENV NODE_ENV=production
# Files stay owned by root: the app user can read them but not change them.
COPY package.json package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# Liveness of the API. Worker and one-shot jobs serve no HTTP: compose turns this probe off for them.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/api/server.js"]
