#!/bin/sh
# Creates every secret the compose stack needs in docker/secrets/, once. Existing files are kept,
# so re-running is safe; delete a file to regenerate it (and re-create what used it: a changed
# database password needs the PostgreSQL volume recreated or the role altered by hand).
#
#   sh docker/init-secrets.sh            # then: docker compose up -d
#
# The directory is 0700; the files are 0644 because compose (outside swarm) bind-mounts secret
# files as they are and the containers read them as different users (postgres, irods, node).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
dir="$here/secrets"
zone=${IRODS_ZONE:-tempZone}
mkdir -p "$dir"
chmod 0700 "$dir"

random() { # length: alphanumeric, safe in shells, SQL, JSON and URLs
  LC_ALL=C tr -dc 'A-Za-z0-9' < /dev/urandom | head -c "$1"
}

put() { # name value
  if [ -s "$dir/$1" ]; then return 0; fi
  (umask 022 && printf '%s\n' "$2" > "$dir/$1")
  echo "created docker/secrets/$1"
}

put postgres_password "$(random 32)"
put irods_db_password "$(random 32)"
put agent_db_password "$(random 32)"
put omero_db_password "$(random 32)"
put irods_admin_password "$(random 24)"
put irods_zone_key "$(random 32)"
put irods_negotiation_key "$(random 32)"      # exactly 32 characters
put irods_control_plane_key "$(random 32)"    # exactly 32 characters
put agent_irods_password "$(random 32)"
put http_api_irods_password "$(random 32)"
put webhook_secret "whsec_$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
put admin_tokens "operator:$(random 40)"
put omero_root_password "$(random 24)"
put agent_database_url "postgres://omero_agent:$(tr -d '\n' < "$dir/agent_db_password")@postgres:5432/irods_omero_agent"

# The HTTP API reads one JSON file that includes its rodsadmin password: render it as a secret.
if [ ! -s "$dir/http_api_config.json" ]; then
  password=$(tr -d '\n' < "$dir/http_api_irods_password")
  (umask 022 && sed -e "s/@IRODS_ZONE@/$zone/" -e "s/@HTTP_API_IRODS_USER@/http_api/" \
      -e "s/@HTTP_API_IRODS_PASSWORD@/$password/" \
      "$here/irods-http-api/config.template.json" > "$dir/http_api_config.json")
  echo "created docker/secrets/http_api_config.json"
fi

# OMERO (profile `omero`): omero-server-docker takes the database password only from the variable
# CONFIG_omero_db_pass (its 60-database.sh) and the root password from ROOTPASS. Both come from
# the secrets above, so the file is rendered again at every run (an older one lacked the first).
(umask 022 && printf 'CONFIG_omero_db_pass=%s\nROOTPASS=%s\n' \
    "$(tr -d '\n' < "$dir/omero_db_password")" "$(tr -d '\n' < "$dir/omero_root_password")" \
    > "$dir/omero.env.tmp" && mv "$dir/omero.env.tmp" "$dir/omero.env")
echo "rendered docker/secrets/omero.env"
# Left by earlier versions of this script; the server image never read it.
rm -f "$dir/omero-server.omero"
