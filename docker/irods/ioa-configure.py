#!/usr/bin/env python3
"""Configuration steps of the iRODS container (docker/irods/entrypoint.sh), kept in Python so
JSON is edited as JSON. Secrets come from files (/run/secrets/<name>, or <NAME>_FILE).

  ioa-configure.py render-install TEMPLATE OUT   unattended_install.json for setup_irods.py
  ioa-configure.py rules-config OUT              /etc/irods/irods_omero_agent.json from IOA_* env
  ioa-configure.py ensure-core-py PATH           core.py loads the agent's rules (idempotent)
  ioa-configure.py ensure-python-rep PATH        server_config.json lists the Python REP first
"""
import json
import os
import socket
import sys

SECRETS_DIR = os.environ.get('SECRETS_DIR', '/run/secrets')
PYTHON_REP = {
    'instance_name': 'irods_rule_engine_plugin-python-instance',
    'plugin_name': 'irods_rule_engine_plugin-python',
    'plugin_specific_configuration': {},
}
CORE_PY_LINES = ['import irods_omero_agent_rules', 'irods_omero_agent_rules.install(globals())']


def secret(name):
    path = os.environ.get(name.upper() + '_FILE') or os.path.join(SECRETS_DIR, name)
    with open(path) as f:
        value = f.read().strip()
    if not value:
        sys.exit('ioa-configure: secret {} is empty'.format(path))
    return value


def env(name, default):
    value = os.environ.get(name, '')
    return value if value != '' else default


def local_names(irods_host):
    """Every name this container answers to, once each: the name clients use (IRODS_HOST), the
    container's hostname, and the canonical name setup_irods.py registers the default resource
    under (irods.lib.get_hostname(): getaddrinfo with AI_CANONNAME)."""
    names = [irods_host, socket.gethostname()]
    try:
        names.append(socket.getaddrinfo(names[1], 0, 0, 0, 0, socket.AI_CANONNAME)[0][3])
    except (OSError, IndexError):
        pass  # setup_irods.py will say the hostname does not resolve; nothing to add here
    unique = []
    for name in names:
        if name and name not in unique:
            unique.append(name)
    return unique


def host_entries(irods_host):
    """host_resolution.host_entries for this container. iRODS 4.3's schema (host_resolution.json)
    wants at least two unique addresses per entry, and setup_irods.py refuses the whole
    configuration otherwise; with `hostname: irods` in compose there is only one name, which
    needs no entry (the server resolves its own hostname)."""
    names = local_names(irods_host)
    return [{'address_type': 'local', 'addresses': names}] if len(names) >= 2 else []


def render_install(template, out):
    values = {
        'IRODS_ADMIN_PASSWORD': secret('irods_admin_password'),
        'IRODS_ZONE': env('IRODS_ZONE', 'tempZone'),
        'IRODS_HOST': env('IRODS_HOST', 'irods'),
        'IRODS_ZONE_KEY': secret('irods_zone_key'),
        'IRODS_NEGOTIATION_KEY': secret('irods_negotiation_key'),
        'IRODS_CONTROL_PLANE_KEY': secret('irods_control_plane_key'),
        'DB_HOST': env('IRODS_DB_HOST', 'postgres'),
        'DB_NAME': env('IRODS_DB_NAME', 'ICAT'),
        'DB_USER': env('IRODS_DB_USER', 'irods'),
        'DB_PASSWORD': secret('irods_db_password'),
    }
    for key in ('IRODS_NEGOTIATION_KEY', 'IRODS_CONTROL_PLANE_KEY'):
        if len(values[key]) != 32:
            sys.exit('ioa-configure: {} must be exactly 32 characters'.format(key.lower()))
    with open(template) as f:
        text = f.read()
    for key, value in values.items():
        # json.dumps(...)[1:-1]: the value escaped for the inside of a JSON string.
        text = text.replace('@{}@'.format(key), json.dumps(value)[1:-1])
    config = json.loads(text)  # refuse to hand setup_irods.py a broken file
    config['server_config']['host_resolution']['host_entries'] = host_entries(values['IRODS_HOST'])
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        json.dump(config, f, indent=4)
        f.write('\n')


def rules_config(out):
    config = {
        'enabled': env('IOA_ENABLED', 'true').lower() in ('1', 'true', 'yes', 'on'),
        'agent_url': env('IOA_AGENT_URL', 'http://agent:8080/v1/events'),
        'secret_file': '/etc/irods/irods_omero_agent.secret',
        'watch': env('IOA_WATCH', '/{}/home'.format(env('IRODS_ZONE', 'tempZone'))).split(),
        'archive_suffixes': env('IOA_ARCHIVE_SUFFIXES', '.zip .tar .tar.gz .tgz').split(),
        'ignore_users': env('IOA_IGNORE_USERS', 'omero_agent').split(),
        'timeout_seconds': int(env('IOA_TIMEOUT_SECONDS', '5')),
        'delay_seconds': int(env('IOA_DELAY_SECONDS', '10')),
        'retry_interval_seconds': int(env('IOA_RETRY_INTERVAL_SECONDS', '30')),
        'retry_times': int(env('IOA_RETRY_TIMES', '20')),
        'verbose': env('IOA_VERBOSE', 'false').lower() in ('1', 'true', 'yes', 'on'),
    }
    with open(out, 'w') as f:
        json.dump(config, f, indent=2)
        f.write('\n')


def ensure_core_py(path):
    existing = open(path).read() if os.path.exists(path) else ''
    lines = [line.strip() for line in existing.splitlines()]
    if all(line in lines for line in CORE_PY_LINES):
        return
    with open(path, 'a') as f:
        if existing and not existing.endswith('\n'):
            f.write('\n')
        f.write('\n# irods-omero-agent (added by the container; keep these lines last)\n')
        f.write('\n'.join(CORE_PY_LINES) + '\n')


def ensure_python_rep(path):
    with open(path) as f:
        config = json.load(f)
    engines = config['plugin_configuration']['rule_engines']
    if any(e.get('plugin_name') == PYTHON_REP['plugin_name'] for e in engines):
        return
    engines.insert(0, PYTHON_REP)
    tmp = path + '.ioa-tmp'
    with open(tmp, 'w') as f:
        json.dump(config, f, indent=4)
        f.write('\n')
    st = os.stat(path)
    # The entrypoint runs this as root: keep the file the irods account's (setup writes it 0600).
    os.chown(tmp, st.st_uid, st.st_gid)
    os.chmod(tmp, st.st_mode & 0o777)
    os.replace(tmp, path)


def main(argv):
    commands = {
        'render-install': (render_install, 2),
        'rules-config': (rules_config, 1),
        'ensure-core-py': (ensure_core_py, 1),
        'ensure-python-rep': (ensure_python_rep, 1),
    }
    if len(argv) < 2 or argv[1] not in commands or len(argv) - 2 != commands[argv[1]][1]:
        sys.exit(__doc__)
    fn, _ = commands[argv[1]]
    fn(*argv[2:])


if __name__ == '__main__':
    main(sys.argv)
