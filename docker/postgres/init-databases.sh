#!/usr/bin/env bash
# Runs once, when the PostgreSQL volume is first initialised (docker-entrypoint-initdb.d).
# Creates the iRODS catalog (ICAT), the agent's database and, for the `omero` profile, OMERO's,
# each owned by its own role with the password from its docker secret.
set -euo pipefail

SECRETS_DIR=${SECRETS_DIR:-/run/secrets}
read_secret() { tr -d '\r\n' < "$SECRETS_DIR/$1"; }

create() { # role database secret
  local password
  password=$(read_secret "$3")
  # psql variables (:'name') quote the values: no password ever lands in SQL text unescaped.
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
       -v role="$1" -v db="$2" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role') \gexec
SQL
}

create irods ICAT irods_db_password
create omero_agent irods_omero_agent agent_db_password
if [ -s "$SECRETS_DIR/omero_db_password" ]; then
  create omero omero omero_db_password
fi
