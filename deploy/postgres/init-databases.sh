#!/bin/sh
# Runs once, when the postgres container starts on an empty data volume
# (/docker-entrypoint-initdb.d). Creates the app database, owned by the superuser that runs the
# migrations (they create the app role blogger_app), and Temporal's two databases, owned by a
# role `temporal` that can do nothing else. Passwords come in as psql variables, never in SQL text.
set -eu
: "${TEMPORAL_DB_PASSWORD:?set TEMPORAL_DB_PASSWORD}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE DATABASE blogger_analytics;
CREATE ROLE temporal LOGIN PASSWORD :'temporal_password';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
-- Only their owners (and the superuser) connect to Temporal's databases.
REVOKE CONNECT, TEMPORARY ON DATABASE temporal, temporal_visibility FROM PUBLIC;
SQL
