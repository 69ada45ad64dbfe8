#!/usr/bin/env bash
# iRODS catalog provider for the irods-omero-agent stack.
# First start: set the server up against PostgreSQL (setup_irods.py, unattended), create the
# agent's and the HTTP API's rodsadmin accounts. Every start: install the agent's rules and their
# configuration, redo what `irodsctl start` does before a start (validation, the ODBC DSN, the
# catalog schema: irods-prestart.py), then run irodsServer in the foreground. With -u the server
# and everything it forks (agents, the delay server, the rules' writeLine('serverLog')) log to
# this container's output: `docker compose logs irods`.
set -euo pipefail

OPT=/opt/irods-omero-agent
SECRETS_DIR=${SECRETS_DIR:-/run/secrets}
IRODS_ZONE=${IRODS_ZONE:-tempZone}
IRODS_DB_HOST=${IRODS_DB_HOST:-postgres}
AGENT_IRODS_USER=${AGENT_IRODS_USER:-omero_agent}
HTTP_API_IRODS_USER=${HTTP_API_IRODS_USER:-http_api}
MARKER=/var/lib/irods/.irods/.ioa-setup-done
# setup_irods.py records the installed release in version.json, in the container's own layer.
# irodsctl (and irods-prestart.py) compare it with the packages' version.json.dist to decide on
# an upgrade; without it they would "upgrade" from 4.1.0. A copy lives on the irods-account volume.
VERSION_FILE=/var/lib/irods/version.json
VERSION_KEPT=/var/lib/irods/.irods/.ioa-version.json
export SECRETS_DIR IRODS_ZONE IRODS_DB_HOST

log() { printf 'ioa-irods: %s\n' "$*" >&2; }

secret() {
  local file="$SECRETS_DIR/$1"
  if [ ! -s "$file" ]; then log "missing secret $file (run docker/init-secrets.sh)"; exit 1; fi
  tr -d '\r\n' < "$file"
}

wait_for_tcp() { # host port seconds
  local i
  for ((i = 0; i < $3; i++)); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    sleep 1
  done
  log "$1:$2 did not answer within $3 s"; return 1
}

as_irods() { su - irods -c "$1"; }
# A program run as the service account without a shell in between, so that `exec` makes it this
# container's main process (tini's child) and `docker stop` signals the server itself.
AS_IRODS=(setpriv --reuid=irods --regid=irods --init-groups env HOME=/var/lib/irods USER=irods LOGNAME=irods)

install_rules() {
  install -o irods -g irods -m 0644 "$OPT/rules/irods_omero_agent_rules.py" /etc/irods/
  (umask 077 && secret webhook_secret > /etc/irods/irods_omero_agent.secret)
  chown irods:irods /etc/irods/irods_omero_agent.secret
  chmod 0600 /etc/irods/irods_omero_agent.secret
  python3 "$OPT/ioa-configure.py" rules-config /etc/irods/irods_omero_agent.json
  chown irods:irods /etc/irods/irods_omero_agent.json
  chmod 0640 /etc/irods/irods_omero_agent.json
  python3 "$OPT/ioa-configure.py" ensure-core-py /etc/irods/core.py
  chown irods:irods /etc/irods/core.py
}

ensure_rodsadmin() { # user password
  if ! as_irods "iadmin lu '$1'" | grep -q "^user_name: $1\$"; then
    as_irods "iadmin mkuser '$1' rodsadmin"
  fi
  # iadmin reads the password from its arguments: it is visible to `ps` inside this container only.
  as_irods "iadmin moduser '$1' password '$2'" >/dev/null
}


adopt_volumes() {
  # The image creates irods with a fixed UID (Dockerfile, IRODS_UID). Volumes made by an image
  # whose irods had another UID are handed over once, so the server can still read its files.
  local dir uid
  uid=$(id -u irods)
  for dir in /etc/irods /var/lib/irods/.irods /var/lib/irods/Vault; do
    if [ "$(stat -c %u "$dir")" != "$uid" ]; then
      log "giving $dir to irods (uid $uid)"
      chown -R irods:irods "$dir"
    fi
  done
}

restore_version_file() {
  [ -e "$VERSION_FILE" ] && return 0
  if [ -s "$VERSION_KEPT" ]; then
    install -o irods -g irods -m 0644 "$VERSION_KEPT" "$VERSION_FILE"
  else
    # Set up by an image that kept no copy: assume the release installed now is the one set up.
    log "no saved version.json: assuming the catalog was set up with this image's iRODS release"
    install -o irods -g irods -m 0644 "$VERSION_FILE.dist" "$VERSION_FILE"
  fi
}

start_server_in_background() {
  (cd /usr/sbin && exec "${AS_IRODS[@]}" /usr/sbin/irodsServer -u) &
  SERVER_PID=$!
  wait_for_tcp 127.0.0.1 1247 120
}

stop_server_in_background() {
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || true
}

if ! id irods >/dev/null 2>&1; then log "the image has no irods user (see docker/irods/Dockerfile)"; exit 1; fi
adopt_volumes

log "waiting for PostgreSQL at $IRODS_DB_HOST:5432"
wait_for_tcp "$IRODS_DB_HOST" 5432 120
# core.py must exist before the Python rule engine plugin first loads (setup starts the server).
install_rules

first_start=false
if [ ! -e "$MARKER" ]; then
  first_start=true
  log "first start: setting up iRODS (zone $IRODS_ZONE); setup's own log: /var/lib/irods/log/setup_log.txt"
  install_file=$(mktemp /tmp/unattended.XXXXXX.json)
  python3 "$OPT/ioa-configure.py" render-install "$OPT/unattended_install.template.json" "$install_file"
  python3 /var/lib/irods/scripts/setup_irods.py -v --json_configuration_file "$install_file"
  rm -f "$install_file"
else
  restore_version_file
  python3 "$OPT/ioa-configure.py" ensure-python-rep /etc/irods/server_config.json
fi

as_irods "python3 $OPT/irods-prestart.py"
install -o irods -g irods -m 0644 "$VERSION_FILE" "$VERSION_KEPT"

if $first_start; then
  start_server_in_background
  ensure_rodsadmin "$AGENT_IRODS_USER" "$(secret agent_irods_password)"
  ensure_rodsadmin "$HTTP_API_IRODS_USER" "$(secret http_api_irods_password)"
  stop_server_in_background
  touch "$MARKER"
  log "setup done"
fi

log "starting irodsServer"
cd /usr/sbin
exec "${AS_IRODS[@]}" /usr/sbin/irodsServer -u
