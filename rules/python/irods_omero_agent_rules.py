# irods_omero_agent_rules.py - iRODS policy (Python rule engine plugin) for irods-omero-agent.
#
# Notices an OMERO transfer archive (.zip, .tar, .tar.gz, .tgz by default) landing in a watched
# collection by any client route and asks the iRODS delay server to POST a signed
# "data_object.landed" event (Standard Webhooks) to the agent.
#
# Install: copy this file and irods_omero_agent.json to /etc/irods/, then at the END of
# /etc/irods/core.py:
#
#     import irods_omero_agent_rules
#     irods_omero_agent_rules.install(globals())
#
# install() adds the PEPs below to core.py; a PEP core.py already defines keeps running first,
# with its own return value (see rules/README.md).
#
# Guarantees, because an exception in a PEP fails the user's API call although the data landed:
# every PEP catches everything, logs it with callback.writeLine('serverLog', ...) and returns
# irods_errors.RULE_ENGINE_CONTINUE. No network I/O happens inside a PEP: the POST runs later in
# the delay server (callback.delayExec), which retries it per the <EF> policy, with a bounded
# time per attempt, doubling pauses, a priority below the default, and a circuit breaker, so a
# dead agent costs the zone's shared delay executors almost nothing.
#
# Checked against irods/irods 4.3.4, 4.3.5 and 5.0.2 and irods_rule_engine_plugin_python 4.3.4.0,
# 4.3.5.0 and 5.0.1 (see rules/README.md, "What this was checked against").
#
# Compatible with Python 3.6+ and the standard library only (the plugin's interpreter is the
# distribution's python3; nothing can be pip-installed into it reliably).

import base64
import binascii
import hashlib
import hmac
import json
import os
import socket
import threading
import time
import uuid

try:  # Provided by the Python rule engine plugin (and by the test stand-in).
    import irods_errors as _irods_errors
except ImportError:  # pragma: no cover - imported outside iRODS (e.g. to read the docs)
    _irods_errors = None

__all__ = ['install', 'deliver', 'PEP_NAMES']

RULE_ENGINE_CONTINUE = getattr(_irods_errors, 'RULE_ENGINE_CONTINUE', 5000000)
# Returned by a delayed rule to make the delay server retry it (any negative value works).
_RETRY = getattr(_irods_errors, 'RULE_FAILED_ERR', -1101000)

CONFIG_PATH_ENV = 'IRODS_OMERO_AGENT_CONFIG'
DEFAULT_CONFIG_PATH = '/etc/irods/irods_omero_agent.json'
LOG_PREFIX = 'irods_omero_agent: '
EVENT_TYPE = 'data_object.landed'
METADATA_EVENT = 'metadata.changed'
REGISTERED_DATA_EVENT = 'registered_data.changed'
# The agent's AVUs that record what OMERO made of an object (src/omero/registration-avus.ts):
# the tree's root carries the mode, each registered image file its OMERO id.
_AGENT_ATTRIBUTE_PREFIX = 'irods_omero_agent::'
_OMERO_ID_PREFIX = 'irods_omero_agent::omero_'
_OMERO_MODE = 'irods_omero_agent::omero_mode'
_OMERO_IMAGE_ID = 'irods_omero_agent::omero_image_id'
# Registrations in the agent's default OMERO server carry these names; in any other server the
# same names followed by '::<server name>' (the agent's src/omero/registration-avus.ts).

# rodsErrorTable.h; authentication levels from rodsUser.h (the plugin's own irule check uses the
# same threshold: a client below REMOTE_PRIV_USER_AUTH is not an administrator).
_CAT_NO_ACCESS_PERMISSION = -818000
_REMOTE_PRIV_USER_AUTH = 4
USER_AGENT = 'irods-omero-agent-rules/1'

# The delayed rule's text is stored in R_RULE_EXEC.rule_name, a varchar(2700): stay below it.
MAX_RULE_TEXT_BYTES = 2600
# Marker in the delayed rule's text, found again by a GenQuery LIKE to coalesce repeated events.
_KEY_MARKER = 'irods_omero_agent key='

# iRODS constants (lib/api/include/irods/dataObjInpOut.h, rodsKeyWdDef.h).
_O_ACCMODE = 3
_CREATE_TYPE = 1
_OPEN_FOR_WRITE_TYPE = 3
_RENAME_COLL = 12

_DEFAULTS = {
    'enabled': True,
    'agent_url': 'http://127.0.0.1:8080/v1/events',
    'secret': None,
    'secret_file': None,
    'watch': [],
    'archive_suffixes': ['.zip', '.tar', '.tar.gz', '.tgz'],
    'ignore_users': [],
    'connect_timeout_seconds': 2,
    'timeout_seconds': 5,
    'delay_seconds': 10,
    'retry_interval_seconds': 30,
    'retry_times': 10,
    'priority': 3,
    'breaker_file': '/var/lib/irods/irods_omero_agent.breaker',
    'breaker_threshold': 3,
    'breaker_probe_seconds': 60,
    'report_metadata': True,
    'metadata_delay_seconds': 10,
    'protect_registered': True,
    'protect_cache_seconds': 30,
    'instance_name': 'irods_rule_engine_plugin-python-instance',
    'verbose': False,
}
# (key, lowest, highest, integer?) of the numeric settings. retry_times and
# retry_interval_seconds are capped so that the doubled <EF> text, which the server rewrites
# after every attempt ("%lld%c DOUBLE UNTIL SUCCESS OR %i TIMES. ORIGINAL TIMES=%i" into a
# 64-byte column), always fits.
_NUMBERS = (
    ('connect_timeout_seconds', 0.1, 10, False),
    ('timeout_seconds', 1, 60, False),
    ('delay_seconds', 1, 3600, True),
    ('retry_interval_seconds', 1, 3600, True),
    ('retry_times', 1, 20, True),
    ('priority', 1, 9, True),
    ('breaker_threshold', 1, 1000, True),
    ('breaker_probe_seconds', 1, 86400, True),
    ('metadata_delay_seconds', 1, 3600, True),
    ('protect_cache_seconds', 0, 3600, True),
)

# Clock used for scheduling and coalescing decisions (the delay queue's exe_time is in epoch
# seconds). The rule-engine stand-in replaces it to compress time; nothing else should.
_clock = time.time

# --- per-agent-process state -------------------------------------------------------------------
# Each iRODS agent process serves one client connection (the HTTP and S3 APIs keep pooled
# connections, so one process can serve many requests): these dicts live as long as the process.
_open_fds = {}          # L1 descriptor index -> {'path', 'resource'} for watched archives open for write
_open_paths = {}        # logical path -> number of its write opens not yet closed (cheap pre-check)
_pending = {}           # coalescing key -> clock time until which a queued POST covers the path
_MAX_TRACKED = 1024     # a client that dies never closes: bound what a long-lived process keeps

_config_cache = {'stamp': None, 'config': None}
_logged_once = set()


# --- logging -----------------------------------------------------------------------------------

def _log(callback, message):
    try:
        callback.writeLine('serverLog', LOG_PREFIX + message)
    except Exception:  # logging must never be the thing that fails a PEP
        pass


def _log_once(callback, key, message):
    if key not in _logged_once:
        _logged_once.add(key)
        _log(callback, message)


def _show(path):
    """A logical path as one log line (names may contain newlines)."""
    return path.replace('\\', '\\\\').replace('\n', '\\n').replace('\r', '\\r')


def _verbose(callback, config, message):
    if config and config.get('verbose'):
        _log(callback, message)


# --- configuration -----------------------------------------------------------------------------

class ConfigError(Exception):
    """The JSON configuration is unreadable or invalid; the rules stay idle until it is fixed."""


def _config_path():
    return os.environ.get(CONFIG_PATH_ENV) or DEFAULT_CONFIG_PATH


def _normalise_prefix(prefix):
    if not isinstance(prefix, str) or not prefix.startswith('/') or '\n' in prefix:
        raise ConfigError('watch entries must be absolute logical paths, got {!r}'.format(prefix))
    stripped = prefix.rstrip('/')
    if not stripped:
        raise ConfigError('watching "/" is not allowed: name a zone or a collection')
    return stripped


def _validate(raw):
    if not isinstance(raw, dict):
        raise ConfigError('the configuration must be a JSON object')
    unknown = sorted(set(raw) - set(_DEFAULTS))
    if unknown:
        raise ConfigError('unknown keys: {}'.format(', '.join(unknown)))
    config = dict(_DEFAULTS)
    config.update(raw)
    url = config['agent_url']
    if not isinstance(url, str) or not (url.startswith('http://') or url.startswith('https://')):
        raise ConfigError('agent_url must be an http:// or https:// URL')
    if not isinstance(config['watch'], list):
        raise ConfigError('watch must be a list of logical collection paths')
    config['watch'] = [_normalise_prefix(p) for p in config['watch']]
    suffixes = config['archive_suffixes']
    if not isinstance(suffixes, list) or not all(isinstance(s, str) and s.startswith('.') for s in suffixes):
        raise ConfigError('archive_suffixes must be a list such as [".zip", ".tar"]')
    config['archive_suffixes'] = [s.lower() for s in suffixes]
    if not isinstance(config['ignore_users'], list):
        raise ConfigError('ignore_users must be a list of user names')
    for key, low, high, integer in _NUMBERS:
        value = config[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise ConfigError('{} must be a number from {} to {}'.format(key, low, high))
        if integer:
            config[key] = int(value)
    if config['connect_timeout_seconds'] > config['timeout_seconds']:
        raise ConfigError('connect_timeout_seconds must not exceed timeout_seconds')
    breaker = config['breaker_file']
    if breaker is not None and (not isinstance(breaker, str) or not breaker.startswith('/')):
        raise ConfigError('breaker_file must be an absolute path, or null to turn the breaker off')
    if config['secret'] is None and config['secret_file'] is None:
        raise ConfigError('set secret_file (preferred) or secret')
    inst = config['instance_name']
    if not isinstance(inst, str) or not inst or '<' in inst:
        raise ConfigError('instance_name must name the Python rule engine plugin instance')
    return config


def load_config(callback=None):
    """The validated configuration, re-read when the file changes; None when unusable."""
    path = _config_path()
    try:
        st = os.stat(path)
        stamp = (path, st.st_mtime, st.st_size)
    except OSError as e:
        if callback is not None:
            _log_once(callback, 'missing:' + path, 'configuration {} unreadable ({}); rules idle'.format(path, e))
        return None
    if _config_cache['stamp'] == stamp:
        return _config_cache['config']
    config = None
    try:
        with open(path, 'r') as f:
            config = _validate(json.load(f))
    except (OSError, ValueError, ConfigError) as e:
        if callback is not None:
            _log(callback, 'configuration {} rejected ({}); rules idle until it is fixed'.format(path, e))
    _config_cache['stamp'] = stamp
    _config_cache['config'] = config
    return config


def _secrets(config):
    """Every configured whsec_ secret, as HMAC keys (several during a rotation)."""
    raw = config.get('secret')
    if raw is None:
        with open(config['secret_file'], 'r') as f:
            raw = f.read()
    keys = []
    for word in str(raw).split():
        if not word.startswith('whsec_'):
            raise ConfigError('secrets must look like whsec_<base64>')
        try:
            keys.append(base64.b64decode(word[len('whsec_'):].encode('ascii'), validate=True))
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raise ConfigError('a whsec_ secret is not valid base64')
    if not keys:
        raise ConfigError('no secret configured')
    return keys


# --- filters -----------------------------------------------------------------------------------

def _is_watched(config, path):
    if not path or not path.startswith('/'):
        return False
    parts = path.split('/')
    # /<zone>/trash/...: irm renames into the trash; never an arrival.
    if len(parts) > 2 and parts[2] == 'trash':
        return False
    for prefix in config['watch']:
        if path.startswith(prefix + '/'):
            return True
    return False


def _is_archive(config, path):
    name = path.rsplit('/', 1)[-1].lower()
    return any(name.endswith(s) and len(name) > len(s) for s in config['archive_suffixes'])


def _is_candidate(config, path):
    return config is not None and config.get('enabled', True) and _is_watched(config, path) and _is_archive(config, path)


# --- reading the plugin's objects ----------------------------------------------------------------

class NotUtf8(ValueError):
    """A char array that is not UTF-8: the plugin's str() cannot decode it."""


def _text(value):
    """The plugin hands char arrays (array_ref<char>): str() reads up to the first NUL and
    decodes strict UTF-8 (Boost.Python), so a name that is not UTF-8 raises."""
    if value is None:
        return ''
    try:
        return str(value)
    except UnicodeDecodeError as e:
        raise NotUtf8(str(e))


def _kvp(kvp, key):
    """A value from a KeyValPair (condInput), or None."""
    try:
        return _text(kvp[key]) or None
    except Exception:  # KeyError when absent; anything else: treat as absent
        return None


def _has_key(kvp, key):
    try:
        kvp[key]
        return True
    except Exception:
        return False


def _user(user_info):
    try:
        name, zone = _text(user_info.userName), _text(user_info.rodsZone)
    except Exception:
        return None, None
    return (name or None), (zone or None)


def _connection_users(ctx, rei):
    """((client name, zone), (proxy name, zone)) of the connection that made the API call.

    An API PEP gets no RsComm: rule_args[1] is the server's plugin_context, which the plugin
    exposes with map() and rule_results only; map() holds the connection serialized by
    irods_re_serialization (user_user_name, user_rods_zone, proxy_user_name, ...). The API
    handler also points rei.uoic / rei.uoip at the same users: the fallback."""
    try:
        m = ctx.map()
        client = (m.get('user_user_name') or None, m.get('user_rods_zone') or None)
        proxy = (m.get('proxy_user_name') or None, m.get('proxy_rods_zone') or None)
        if client[0]:
            return client, proxy
    except Exception:
        pass
    client, proxy = (None, None), (None, None)
    if rei is not None:
        client = _user(getattr(rei, 'uoic', None))
        proxy = _user(getattr(rei, 'uoip', None))
    return client, proxy


def _json_input(bytes_buf):
    """The JSON carried by a BytesBuf (replica_close's input). Read its len bytes: the buffer is
    NUL-terminated by the C client library but not by every client, and str(buf) would read on
    past len to whatever NUL follows in memory."""
    raw = bytes(bytes_buf.get_bytes()[:int(bytes_buf.len)])
    value, _ = json.JSONDecoder().raw_decode(raw.decode('utf-8').strip('\x00 \t\r\n'))
    return value


def _first_int(result):
    value = result['arguments'][1]
    return int(str(value).strip())


# --- the event ---------------------------------------------------------------------------------

def _now_iso():
    # Real wall-clock time (not _clock): the agent compares it with its own clock.
    t = time.time()
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(t)) + '.{:03d}Z'.format(int((t % 1) * 1000))


def _coalesce_key(path):
    return hashlib.sha256(path.encode('utf-8')).hexdigest()[:32]


def _python_literal(text):
    """A Python string literal for text that survives the trip through the delay queue.

    JSON string syntax is valid Python string syntax and escapes every control character, so
    the literal has no raw newline (the plugin indents the rule text by replacing "\\n").
    '$' is escaped because the server refuses delayed rules that mention session variables such
    as $objPath (RE_UNSUPPORTED_SESSION_VAR), and a path may contain '$objPath'."""
    return json.dumps(text, ensure_ascii=False).replace('$', '\\u0024')


def _rule_text(key, webhook_id, body):
    # The plugin runs delayed text as the body of "def expressionFcn(rule_args, callback, rei):",
    # indenting every line: keep it a flat sequence of statements.
    return ('# ' + _KEY_MARKER + key + '\n'
            'import irods_omero_agent_rules\n'
            'return irods_omero_agent_rules.deliver(callback, '
            + _python_literal(webhook_id) + ', ' + _python_literal(body) + ')\n')


def _hints(config, delay=None):
    # DOUBLE: each pause twice the last (30 s, 60 s, ... about 8.5 h for 10 runs), so a long
    # outage costs a few runs, not one every 30 s. PRIORITY: the delay server takes due rules
    # by ORDER_DESC(RULE_EXEC_PRIORITY), 5 by default: ours yield to the zone's own.
    return ('<INST_NAME>{inst}</INST_NAME><PLUSET>{delay}s</PLUSET><PRIORITY>{priority}</PRIORITY>'
            '<EF>{every}s DOUBLE UNTIL SUCCESS OR {times} TIMES</EF>').format(
                inst=config['instance_name'], delay=delay or config['delay_seconds'], priority=config['priority'],
                every=config['retry_interval_seconds'], times=config['retry_times'])


# Optional fields dropped, in this order, when the delayed rule's text would be too long.
_DROPPABLE = ('checksum', 'physical_path', 'proxy_user', 'client_user', 'resource', 'source_logical_path', 'attributes')


def _build_body(event_type, data):
    body = {'type': event_type, 'timestamp': _now_iso(), 'data': data}
    return json.dumps(body, ensure_ascii=False, separators=(',', ':'), sort_keys=True)


def _already_queued(callback, config, key, now):
    """True while a queued delayed POST for the same path has not started yet: it will report
    the object's state as it is when it runs, so a second one would only repeat it."""
    if _pending.get(key, 0) > now:
        return True
    try:
        from genquery import Query, AS_LIST  # shipped with the plugin in /etc/irods
        condition = "RULE_EXEC_NAME like '%{}{}%'".format(_KEY_MARKER, key)
        for row in Query(callback, ['RULE_EXEC_ID', 'RULE_EXEC_TIME'], condition, output=AS_LIST):
            due = int(str(row[1]).strip() or '0')
            if due > now:  # not started yet (a running or finished rule has due <= now)
                _remember_pending(key, due)
                return True
    except Exception as e:  # a failed look-up costs at most one extra POST
        _verbose(callback, config, 'delay queue look-up failed ({}); queuing anyway'.format(e))
    return False


def _remember_pending(key, until):
    if len(_pending) >= _MAX_TRACKED:
        now = _clock()
        for k in [k for k, v in _pending.items() if v <= now]:
            del _pending[k]
        if len(_pending) >= _MAX_TRACKED:
            _pending.clear()
    _pending[key] = until


def _emit(callback, config, caller, pep, path, extra=None, event_type=EVENT_TYPE, coalesce=True):
    """Queue one delayed, signed POST about path (already filtered). caller is (rule_args, rei)
    of the PEP: who made the API call. With coalesce, nothing is queued while a POST of the same
    type for the same path waits to start: it will report the state as it is when it runs."""
    (client_name, client_zone), (proxy_name, proxy_zone) = _connection_users(caller[0][1], caller[1])
    if not client_name:
        # The agent refuses an event without a user (400), so queuing it would only cost the
        # delay server a doomed attempt; the agent's sweep finds archives instead.
        _log_once(callback, 'no-user:' + pep, 'no user for {} in {}: no event queued (the agent '
                  'needs the user; its sweep of watched collections will find archives). '
                  'Logged once per process.'.format(_show(path), pep))
        return
    if client_name in config['ignore_users']:
        _verbose(callback, config, 'ignoring {} by {} (ignore_users)'.format(_show(path), client_name))
        return
    now = _clock()
    # Landed events keep the key of the path alone (queued rules of earlier versions share it).
    key = _coalesce_key(path if event_type == EVENT_TYPE else event_type + '\n' + path)
    if not coalesce:
        key = uuid.uuid4().hex[:32]
    elif _already_queued(callback, config, key, now):
        _verbose(callback, config, '{} for {} already queued ({})'.format(event_type, _show(path), pep))
        return
    delay = config['metadata_delay_seconds'] if event_type == METADATA_EVENT else config['delay_seconds']

    data = {
        'zone': path.split('/')[1],
        'logical_path': path,
        'user': client_name,
        'user_zone': client_zone,
        'pep': pep,
    }
    if client_name:
        data['client_user'] = '{}#{}'.format(client_name, client_zone or '')
    if proxy_name and (proxy_name, proxy_zone) != (client_name, client_zone):
        # The HTTP and S3 APIs act for the user through their own rodsadmin account.
        data['proxy_user'] = '{}#{}'.format(proxy_name, proxy_zone or '')
    for k, v in (extra or {}).items():
        if v is not None and v != '':
            data[k] = v

    webhook_id = 'msg_' + uuid.uuid4().hex  # stable across the delay server's retries
    text = _rule_text(key, webhook_id, _build_body(event_type, data))
    for field in _DROPPABLE:
        if len(text.encode('utf-8')) <= MAX_RULE_TEXT_BYTES:
            break
        if field in data:
            del data[field]
            text = _rule_text(key, webhook_id, _build_body(event_type, data))
    if len(text.encode('utf-8')) > MAX_RULE_TEXT_BYTES:
        _log(callback, 'logical path too long for the delay queue, no event for {}'.format(_show(path)))
        return

    callback.delayExec(_hints(config, delay), text, '')
    if coalesce:
        _remember_pending(key, now + delay)
    _log(callback, 'queued {} {} for {} ({}, user {})'.format(
        'event' if event_type == EVENT_TYPE else event_type + ' event', webhook_id, _show(path), pep, client_name))


# --- the PEPs ----------------------------------------------------------------------------------

def _guarded(pep):
    """Wraps a PEP so that nothing it does can fail or alter the user's operation."""
    def run(rule_args, callback, rei):
        try:
            pep(rule_args, callback, rei)
        except NotUtf8 as e:
            _log_once(callback, 'not-utf8:' + pep.__name__, '{}: a logical path that is not UTF-8 '
                      'cannot be reported ({}); logged once per process'.format(pep.__name__, e))
        except Exception as e:
            _log(callback, '{} failed: {}: {} (the user operation is unaffected)'.format(
                pep.__name__, type(e).__name__, e))
        return RULE_ENGINE_CONTINUE
    run.__name__ = pep.__name__
    run.__doc__ = pep.__doc__
    run._irods_omero_agent = True
    return run


def _data_obj_inp_extra(inp):
    cond = inp.condInput
    extra = {
        'resource': _kvp(cond, 'destRescName') or _kvp(cond, 'rescName') or _kvp(cond, 'defRescName'),
        'checksum': _kvp(cond, 'chksum'),
    }
    try:
        size = int(inp.dataSize)
        if size >= 0:
            extra['size'] = size
    except Exception:
        pass
    return extra


@_guarded
def pep_api_data_obj_put_post(rule_args, callback, rei):
    """iput (once per file; in parallel mode even when the transfer failed: the agent verifies)."""
    config = load_config(callback)
    inp = rule_args[2]
    path = _text(inp.objPath)
    if _is_candidate(config, path):
        _emit(callback, config, (rule_args, rei), 'pep_api_data_obj_put_post', path, _data_obj_inp_extra(inp))


def _track_open(rule_args, callback, pep):
    """Remembers which L1 descriptor a watched archive opened for write got, so the close PEPs
    (which only carry the descriptor) know the path. Same idea as storage tiering's
    opened_objects map; the descriptor comes from msi_get_open_data_obj_l1desc_index (4.2.9+)."""
    config = load_config(callback)
    inp = rule_args[2]
    path = _text(inp.objPath)
    if not _is_candidate(config, path):
        return
    if pep != 'pep_api_data_obj_create_post' and (int(inp.openFlags) & _O_ACCMODE) == 0:
        return  # opened read-only
    if len(_open_fds) >= _MAX_TRACKED:
        _open_fds.clear()
        _open_paths.clear()
    _open_paths[path] = _open_paths.get(path, 0) + 1
    resource = _kvp(inp.condInput, 'destRescName') or _kvp(inp.condInput, 'rescName')
    try:
        fd = _first_int(callback.msi_get_open_data_obj_l1desc_index(path, 0))
        _open_fds[fd] = {'path': path, 'resource': resource}
        _verbose(callback, config, '{}: {} open for write as fd {}'.format(pep, _show(path), fd))
    except Exception as e:
        # The close pre-PEP resolves the descriptor instead (msi_get_file_descriptor_info).
        _verbose(callback, config, '{}: no descriptor for {} yet ({})'.format(pep, _show(path), e))


@_guarded
def pep_api_data_obj_create_post(rule_args, callback, rei):
    """python-irodsclient and other clients creating a data object (then write, then close)."""
    _track_open(rule_args, callback, 'pep_api_data_obj_create_post')


@_guarded
def pep_api_data_obj_open_post(rule_args, callback, rei):
    """python-irodsclient put (open with O_CREAT|O_WRONLY ... data_obj_close)."""
    _track_open(rule_args, callback, 'pep_api_data_obj_open_post')


@_guarded
def pep_api_replica_open_post(rule_args, callback, rei):
    """iRODS HTTP API, S3 API, istream, parallel streams: replica_open ... replica_close."""
    _track_open(rule_args, callback, 'pep_api_replica_open_post')


def _resolve_before_close(callback, fd):
    """Before the close the descriptor is still open: if the open PEP could not tell which
    descriptor a watched path got (e.g. the same path open twice in one process), ask the agent
    process's descriptor table directly."""
    if fd in _open_fds or not _open_paths:
        return
    config = load_config(callback)
    if config is None:
        return
    info = json.loads(str(callback.msi_get_file_descriptor_info(fd, '')['arguments'][1]))
    obj_info = info.get('data_object_info') or {}
    obj_inp = info.get('data_object_input') or {}
    path = obj_info.get('object_path') or obj_inp.get('object_path') or ''
    open_type = info.get('open_type')
    if path in _open_paths and open_type in (_CREATE_TYPE, _OPEN_FOR_WRITE_TYPE):
        _open_fds[fd] = {'path': path, 'resource': obj_info.get('resource_name') or None}


@_guarded
def pep_api_data_obj_close_pre(rule_args, callback, rei):
    _resolve_before_close(callback, int(rule_args[2].l1descInx))


@_guarded
def pep_api_replica_close_pre(rule_args, callback, rei):
    if _open_paths:
        _resolve_before_close(callback, int(_json_input(rule_args[2])['fd']))


def _closed(callback, caller, fd, pep, final):
    entry = _open_fds.pop(fd, None)
    if entry is None:
        return
    path = entry['path']
    left = _open_paths.get(path, 1) - 1
    if left > 0:
        _open_paths[path] = left
    else:
        _open_paths.pop(path, None)
    if not final:
        return
    config = load_config(callback)
    if _is_candidate(config, path):
        _emit(callback, config, caller, pep, path, {'resource': entry.get('resource')})


@_guarded
def pep_api_data_obj_close_post(rule_args, callback, rei):
    """python-irodsclient: close of a small put, or of the main stream of a parallel put."""
    _closed(callback, (rule_args, rei), int(rule_args[2].l1descInx), 'pep_api_data_obj_close_post', True)


@_guarded
def pep_api_replica_close_post(rule_args, callback, rei):
    """HTTP API (one per write request, i.e. per chunk), S3 API; a close with
    update_status false is a secondary stream of a parallel write: not the end."""
    if not _open_fds:
        return
    inp = _json_input(rule_args[2])
    final = inp.get('update_status', True) is not False
    _closed(callback, (rule_args, rei), int(inp['fd']), 'pep_api_replica_close_post', final)


@_guarded
def pep_api_phy_path_reg_post(rule_args, callback, rei):
    """ireg (and the HTTP API's register): an archive registered in place."""
    config = load_config(callback)
    inp = rule_args[2]
    path = _text(inp.objPath)
    if not _is_candidate(config, path) or _has_key(inp.condInput, 'collection'):
        return  # ireg -C: a directory registered as a collection
    cond = inp.condInput
    extra = {
        'resource': _kvp(cond, 'destRescName') or _kvp(cond, 'rescName'),
        'checksum': _kvp(cond, 'regChksum') or _kvp(cond, 'verifyChksum'),
        'physical_path': _kvp(cond, 'filePath'),
    }
    size = _kvp(cond, 'dataSize')
    if size is not None and size.isdigit():
        extra['size'] = int(size)
    _emit(callback, config, (rule_args, rei), 'pep_api_phy_path_reg_post', path, extra)


@_guarded
def pep_api_data_obj_rename_post(rule_args, callback, rei):
    """imv: an archive moved INTO a watched collection (its destination) is an arrival; an
    administrator's move of data registered in OMERO in place is reported."""
    config = load_config(callback)
    copy_inp = rule_args[2]
    src, dst = copy_inp.srcDataObjInp, copy_inp.destDataObjInp
    _disturbed(rule_args, callback, rei, 'data_obj_rename', _text(src.objPath), 'renamed')
    dst_path = _text(dst.objPath)
    if int(src.oprType) == _RENAME_COLL or not _is_candidate(config, dst_path):
        return
    _emit(callback, config, (rule_args, rei), 'pep_api_data_obj_rename_post', dst_path,
          {'source_logical_path': _text(src.objPath)})


@_guarded
def pep_api_data_obj_copy_post(rule_args, callback, rei):
    """icp: the copy (destination) is a new archive."""
    config = load_config(callback)
    copy_inp = rule_args[2]
    dst = copy_inp.destDataObjInp
    dst_path = _text(dst.objPath)
    if not _is_candidate(config, dst_path):
        return
    extra = {
        'source_logical_path': _text(copy_inp.srcDataObjInp.objPath),
        'resource': _kvp(dst.condInput, 'destRescName'),
    }
    _emit(callback, config, (rule_args, rei), 'pep_api_data_obj_copy_post', dst_path, extra)


# --- metadata changes on registered objects (issue: OMERO both ways) --------------------------

def _catalog_rows(callback, columns, condition):
    from genquery import Query, AS_LIST  # shipped with the plugin in /etc/irods
    return list(Query(callback, columns, condition, output=AS_LIST))


def _quote(text):
    """A GenQuery1 literal. GenQuery1 has no escape for a single quote: None for such a path,
    so the caller can skip the look-up (and say so) instead of sending a broken query."""
    return None if "'" in text else "'" + text + "'"


def _split(path):
    parent, name = path.rsplit('/', 1)
    return (parent or '/'), name


def _carries_omero_ids(callback, path, kind):
    """True when the object carries the agent's OMERO registration AVUs (it was registered)."""
    if kind == 'collection':
        coll = _quote(path)
        if coll is None:
            return False
        return bool(_catalog_rows(callback, ['META_COLL_ATTR_NAME'], "COLL_NAME = {} and META_COLL_ATTR_NAME like '{}%'".format(
            coll, _OMERO_ID_PREFIX)))
    parent, name = _split(path)
    coll, data = _quote(parent), _quote(name)
    if coll is None or data is None:
        return False
    return bool(_catalog_rows(callback, ['META_DATA_ATTR_NAME'], "COLL_NAME = {} and DATA_NAME = {} and META_DATA_ATTR_NAME like '{}%'".format(
        coll, data, _OMERO_ID_PREFIX)))


_AVU_TARGETS = {'-d': 'data_object', '-D': 'data_object', '-c': 'collection', '-C': 'collection'}


def _mod_avu_target(inp):
    """(kind, path, attributes) that an imeta call (ModAVUMetadataInp, handed over serialized as
    a dict arg0..arg9) changed; kind None when it is not about a data object or collection."""
    get = inp.get if hasattr(inp, 'get') else (lambda k, d=None: d)
    operation = get('arg0', '') or ''
    if operation == 'cp':  # cp -d -C source target: the target changes
        return _AVU_TARGETS.get(get('arg2', '')), get('arg4', ''), []
    attribute = get('arg3', '') if operation not in ('rmi',) else ''
    return _AVU_TARGETS.get(get('arg1', '')), get('arg2', ''), [attribute] if attribute else []


def _report_metadata_change(callback, caller, pep, kind, path, attributes):
    config = load_config(callback)
    if config is None or not config.get('enabled', True) or not config['report_metadata'] or kind is None:
        return
    if not _is_watched(config, path):
        return
    if attributes and all(a.startswith(_AGENT_ATTRIBUTE_PREFIX) for a in attributes):
        return  # only the agent's own attributes: nothing OMERO should show
    if not _carries_omero_ids(callback, path, kind):
        return  # not registered in OMERO: nothing to keep in step
    extra = {'entity_type': kind, 'attributes': sorted(set(attributes))[:20] or None}
    _emit(callback, config, caller, pep, path, extra, event_type=METADATA_EVENT)


@_guarded
def pep_api_mod_avu_metadata_post(rule_args, callback, rei):
    """imeta (add, set, rm, mod, cp, ...) on a data object or collection."""
    kind, path, attributes = _mod_avu_target(rule_args[2])
    _report_metadata_change(callback, (rule_args, rei), 'pep_api_mod_avu_metadata_post', kind, path, attributes)


@_guarded
def pep_api_atomic_apply_metadata_operations_post(rule_args, callback, rei):
    """The atomic metadata API (the HTTP API's modify_metadata, python-irodsclient's
    apply_atomic_operations): one JSON request naming the entity and its operations."""
    request = _json_input(rule_args[2])
    kind = {'data_object': 'data_object', 'collection': 'collection'}.get(request.get('entity_type'))
    attributes = [str(op.get('attribute', '')) for op in request.get('operations') or [] if isinstance(op, dict)]
    _report_metadata_change(callback, (rule_args, rei), 'pep_api_atomic_apply_metadata_operations_post', kind,
                            str(request.get('entity_name', '')), [a for a in attributes if a])


# --- registered data stays where OMERO reads it ------------------------------------------------
# In ln_s mode OMERO reads the files where iRODS keeps them (through NFSRODS): renaming or
# removing one breaks its image in OMERO. Non-administrators are refused (pre PEP); what an
# administrator does anyway is reported after it happened, so the agent marks the registration
# broken. A failing look-up never refuses anything: protection fails open, and says so in the log.

_ln_s_roots = {'at': None, 'roots': ()}
_disturbing = {}  # (api, path) -> what the pre PEP saw, for the post PEP of the same call


def _registered_roots(callback, config):
    """Roots of trees registered in place (their collection carries omero_mode = ln_s),
    cached per process for protect_cache_seconds."""
    now = _clock()
    if _ln_s_roots['at'] is None or now - _ln_s_roots['at'] >= config['protect_cache_seconds']:
        rows = _catalog_rows(callback, ['COLL_NAME', 'META_COLL_ATTR_NAME'],
                             "META_COLL_ATTR_NAME like '{}%' and META_COLL_ATTR_VALUE = 'ln_s'".format(_OMERO_MODE))
        _ln_s_roots['roots'] = tuple(sorted(set(str(r[0]) for r in rows if _names_field(r[1], _OMERO_MODE))))
        _ln_s_roots['at'] = now
    return _ln_s_roots['roots']


def _names_field(attribute, field):
    """Whether attribute is field in the default server (field) or in a named one (field::name).
    GenQuery's like also matches '_' anywhere, so its rows are checked again here."""
    attribute = str(attribute)
    return attribute == field or attribute.startswith(field + '::')


def _any_image_id(rows):
    return any(_names_field(r[1], _OMERO_IMAGE_ID) for r in rows)


def _is_collection(callback, path):
    coll = _quote(path)
    return coll is not None and bool(_catalog_rows(callback, ['COLL_NAME'], 'COLL_NAME = ' + coll))


def _under(path, root):
    return path == root or path.startswith(root + '/')


def _registered_in_place(callback, config, path, kind):
    """Whether renaming or removing path would move data OMERO reads in place."""
    roots = _registered_roots(callback, config)
    if not roots:
        return False
    if kind == 'collection':
        if any(_under(root, path) for root in roots):
            return True  # the whole registered tree is at or below it
        if not any(_under(path, root) for root in roots):
            return False
        coll = _quote(path)
        if coll is None:
            return False
        image = "META_DATA_ATTR_NAME like '{}%'".format(_OMERO_IMAGE_ID)
        columns = ['DATA_NAME', 'META_DATA_ATTR_NAME']
        return _any_image_id(_catalog_rows(callback, columns, 'COLL_NAME = {} and {}'.format(coll, image))) \
            or _any_image_id(_catalog_rows(callback, columns, "COLL_NAME like '{}/%' and {}".format(path, image)))
    if not any(_under(path, root) for root in roots):
        return False
    parent, name = _split(path)
    coll, data = _quote(parent), _quote(name)
    if coll is None or data is None:
        return False
    return _any_image_id(_catalog_rows(callback, ['DATA_NAME', 'META_DATA_ATTR_NAME'],
                                       "COLL_NAME = {} and DATA_NAME = {} and META_DATA_ATTR_NAME like '{}%'".format(coll, data, _OMERO_IMAGE_ID)))


def _is_admin(ctx, rei):
    try:
        return int(ctx.map().get('user_auth_info_auth_flag') or 0) >= _REMOTE_PRIV_USER_AUTH
    except Exception:
        try:
            return int(rei.uoic.authInfo.authFlag) >= _REMOTE_PRIV_USER_AUTH
        except Exception:
            return False


def _refusal(path, what):
    return ('irods_omero_agent: {} is registered in OMERO in place: OMERO reads it where it is, so {} '
            'it would break its images there. Ask an administrator to unregister it first '
            '(irods-omero-agent omero unregister {}).'.format(path, what, path))


def _guard(rule_args, callback, rei, api, path, kind, what, destination=None):
    """The pre-PEP half: refuses a non-administrator, remembers an administrator's change.
    Returns the code the PEP returns: an error refuses the operation."""
    try:
        config = load_config(callback)
        if config is None or not config.get('enabled', True) or not config['protect_registered']:
            return RULE_ENGINE_CONTINUE
        if not _is_watched(config, path):
            # Registered trees live in watched collections; above them, only a collection that
            # holds one (a watched collection itself, a home) is protected. Roots are cached.
            if not any(_under(root, path) for root in _registered_roots(callback, config)):
                return RULE_ENGINE_CONTINUE
            kind = 'collection'
        if kind is None:
            kind = 'collection' if _is_collection(callback, path) else 'data_object'
        if not _registered_in_place(callback, config, path, kind):
            return RULE_ENGINE_CONTINUE
        if _is_admin(rule_args[1], rei):
            if len(_disturbing) >= _MAX_TRACKED:
                _disturbing.clear()
            _disturbing[(api, path)] = {'entity_type': kind, 'destination': destination}
            return RULE_ENGINE_CONTINUE
        message = _refusal(path, what)
        _log(callback, 'refused {} of {}: registered in OMERO in place'.format(api, _show(path)))
        try:
            callback.msiExit(str(_CAT_NO_ACCESS_PERMISSION), message)  # the client shows it
        except Exception:
            pass  # msiExit fails by design (it returns the code it was given)
        return _CAT_NO_ACCESS_PERMISSION
    except NotUtf8:
        return RULE_ENGINE_CONTINUE
    except Exception as e:
        _log(callback, '{}: protection check failed ({}: {}); the operation was allowed'.format(api, type(e).__name__, e))
        return RULE_ENGINE_CONTINUE


def _disturbed(rule_args, callback, rei, api, path, operation):
    """The post-PEP half: an administrator's rename or removal of registered data happened."""
    seen = _disturbing.pop((api, path), None)
    if seen is None:
        return
    config = load_config(callback)
    if config is None:
        return
    extra = {'entity_type': seen['entity_type'], 'operation': operation,
             'destination_logical_path': seen.get('destination')}
    _emit(callback, config, (rule_args, rei), 'pep_api_{}_post'.format(api), path, extra,
          event_type=REGISTERED_DATA_EVENT, coalesce=False)


def _guarding(read_target):
    """A pre PEP: read_target(rule_args) gives (api, path, kind, what, destination). Reading the
    arguments can fail like anything else: then the operation goes ahead, logged."""
    def pep(rule_args, callback, rei):
        try:
            api, path, kind, what, destination = read_target(rule_args)
        except Exception as e:
            _log(callback, '{} failed: {}: {} (the operation was allowed)'.format(read_target.__name__, type(e).__name__, e))
            return RULE_ENGINE_CONTINUE
        return _guard(rule_args, callback, rei, api, path, kind, what, destination)
    pep.__name__ = read_target.__name__
    pep.__doc__ = read_target.__doc__
    pep._irods_omero_agent = True
    pep._returns_verdict = True  # install() keeps our refusal when chained after a site PEP
    return pep


@_guarding
def pep_api_data_obj_rename_pre(rule_args):
    """imv of a data object or a collection."""
    inp = rule_args[2]
    kind = 'collection' if int(inp.srcDataObjInp.oprType) == _RENAME_COLL else None
    return 'data_obj_rename', _text(inp.srcDataObjInp.objPath), kind, 'renaming', _text(inp.destDataObjInp.objPath)


@_guarding
def pep_api_data_obj_unlink_pre(rule_args):
    """irm of a data object (also a move to the trash)."""
    return 'data_obj_unlink', _text(rule_args[2].objPath), 'data_object', 'removing', None


@_guarding
def pep_api_rm_coll_pre(rule_args):
    """irm -r of a collection."""
    return 'rm_coll', _text(rule_args[2].collName), 'collection', 'removing', None


@_guarded
def pep_api_data_obj_unlink_post(rule_args, callback, rei):
    _disturbed(rule_args, callback, rei, 'data_obj_unlink', _text(rule_args[2].objPath), 'removed')


@_guarded
def pep_api_rm_coll_post(rule_args, callback, rei):
    _disturbed(rule_args, callback, rei, 'rm_coll', _text(rule_args[2].collName), 'removed')


PEP_NAMES = (
    'pep_api_data_obj_put_post',
    'pep_api_data_obj_create_post',
    'pep_api_data_obj_open_post',
    'pep_api_replica_open_post',
    'pep_api_data_obj_close_pre',
    'pep_api_replica_close_pre',
    'pep_api_data_obj_close_post',
    'pep_api_replica_close_post',
    'pep_api_phy_path_reg_post',
    'pep_api_data_obj_rename_post',
    'pep_api_data_obj_copy_post',
    'pep_api_mod_avu_metadata_post',
    'pep_api_atomic_apply_metadata_operations_post',
    'pep_api_data_obj_rename_pre',
    'pep_api_data_obj_unlink_pre',
    'pep_api_rm_coll_pre',
    'pep_api_data_obj_unlink_post',
    'pep_api_rm_coll_post',
)


def _chain(theirs, ours):
    if getattr(ours, '_returns_verdict', False):
        # A protecting pre PEP: the site's runs first; if it refuses, that stands; otherwise ours
        # decides whether the operation goes ahead.
        def guarded(rule_args, callback, rei):
            result = theirs(rule_args, callback, rei)
            if isinstance(result, int) and not isinstance(result, bool) and result < 0:
                return result
            verdict = ours(rule_args, callback, rei)  # never raises
            return verdict if verdict < 0 else result
        guarded.__name__ = theirs.__name__
        guarded._irods_omero_agent = True
        return guarded

    def both(rule_args, callback, rei):
        try:
            return theirs(rule_args, callback, rei)
        finally:
            ours(rule_args, callback, rei)  # never raises
    both.__name__ = theirs.__name__
    both._irods_omero_agent = True
    return both


def install(namespace):
    """Adds this module's PEPs to core.py's namespace (call it at the end of core.py with
    globals()). A PEP core.py already defines runs first and keeps its return value; ours then
    runs and cannot fail. For the protecting pre PEPs, a refusal by either stands. Safe to call
    twice."""
    for name in PEP_NAMES:
        ours = globals()[name]
        theirs = namespace.get(name)
        if theirs is None or getattr(theirs, '_irods_omero_agent', False):
            namespace[name] = ours
        else:
            namespace[name] = _chain(theirs, ours)


# --- the delayed POST (runs in the delay server) -----------------------------------------------

def _signature(keys, webhook_id, timestamp, body_bytes):
    signed = webhook_id.encode('utf-8') + b'.' + str(timestamp).encode('ascii') + b'.' + body_bytes
    return ' '.join('v1,' + base64.b64encode(hmac.new(k, signed, hashlib.sha256).digest()).decode('ascii')
                    for k in keys)


class AgentUnreachable(Exception):
    """No HTTP answer within the attempt's bounds (refused, timed out, reset, TLS failure)."""


def _post(config, headers, body_bytes):
    """One bounded POST: connecting may take connect_timeout_seconds, the whole attempt
    timeout_seconds (a watchdog shuts the socket at the deadline, so a server that trickles
    bytes cannot hold a delay executor longer). No proxy from the environment and no redirects:
    the agent sits on the zone's private network, and a redirected POST would lose its body.
    Returns (status, first bytes of the answer)."""
    import http.client
    import ssl
    from urllib.parse import urlsplit

    url = urlsplit(config['agent_url'])
    deadline = time.monotonic() + config['timeout_seconds']
    if url.scheme == 'https':
        conn = http.client.HTTPSConnection(url.hostname, url.port, timeout=config['connect_timeout_seconds'],
                                           context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=config['connect_timeout_seconds'])
    watchdog = None
    try:
        try:
            conn.connect()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout('no time left after connecting')
            conn.sock.settimeout(remaining)

            def expire(sock=conn.sock):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            watchdog = threading.Timer(remaining, expire)
            watchdog.daemon = True
            watchdog.start()
            target = (url.path or '/') + ('?' + url.query if url.query else '')
            conn.request('POST', target, body=body_bytes, headers=headers)
            response = conn.getresponse()
            detail = response.read(300)
            status = response.status
        except (OSError, http.client.HTTPException) as e:
            if time.monotonic() >= deadline:
                raise AgentUnreachable('no answer within {}s'.format(config['timeout_seconds']))
            raise AgentUnreachable('{}: {}'.format(type(e).__name__, e))
    finally:
        if watchdog is not None:
            watchdog.cancel()
        conn.close()
    return status, detail.decode('utf-8', 'replace')


# --- the circuit breaker: a marker file shared by the delay executors of one host ---------------
# After breaker_threshold attempts in a row found the agent unreachable, later attempts return at
# once (no connection, no executor held) until breaker_probe_seconds have passed since the last
# try; then one attempt probes. A success removes the marker. The delay server still counts each
# quick return as an attempt: an event that runs out of attempts is found by the agent's sweep.

def _breaker_read(config):
    path = config['breaker_file']
    if not path:
        return None
    try:
        with open(path, 'r') as f:
            state = json.load(f)
        return {'failures': int(state['failures']), 'last_try': float(state['last_try'])}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _breaker_write(callback, config, state):
    path = config['breaker_file']
    if not path:
        return
    try:
        temporary = '{}.{}.tmp'.format(path, os.getpid())
        with open(temporary, 'w') as f:
            json.dump(state, f)
        os.replace(temporary, path)  # atomic: executors on this host never read half a file
    except OSError as e:
        _log_once(callback, 'breaker-write', 'circuit breaker file {} not writable ({}): every attempt will '
                  'try the network'.format(path, e))


def _breaker_clear(config):
    path = config['breaker_file']
    if path:
        try:
            os.remove(path)
        except OSError:
            pass


def _breaker_open(config, state, now):
    return (state is not None and state['failures'] >= config['breaker_threshold']
            and now - state['last_try'] < config['breaker_probe_seconds'])


def _breaker_failed(callback, config, state, now):
    failures = (state['failures'] if state else 0) + 1
    _breaker_write(callback, config, {'failures': failures, 'last_try': now})
    if failures == config['breaker_threshold']:
        _log(callback, 'agent unreachable {} times in a row: circuit breaker open, attempts return at once '
             'for {}s between probes ({})'.format(failures, config['breaker_probe_seconds'], config['breaker_file']))


def _retryable(status):
    return status in (408, 425, 429) or status >= 500


def deliver(callback, webhook_id, body):
    """Runs from the delay server: POSTs one signed event. Returns 0 when done (2xx, or a
    4xx other than 408/425/429, which a retry cannot fix), a negative code to be retried
    per the <EF> policy (unreachable, timeout, 408/425/429, 5xx, breaker open). Never raises."""
    try:
        config = load_config(callback)
        if config is None:
            _log(callback, 'event {} not sent: no usable configuration (will retry)'.format(webhook_id))
            return _RETRY
        now = _clock()
        state = _breaker_read(config)
        if _breaker_open(config, state, now):
            _verbose(callback, config, 'event {} not sent: circuit breaker open (will retry)'.format(webhook_id))
            return _RETRY
        keys = _secrets(config)
        body_bytes = body.encode('utf-8')
        timestamp = int(time.time())
        headers = {
            'Content-Type': 'application/json',
            'User-Agent': USER_AGENT,
            'webhook-id': webhook_id,
            'webhook-timestamp': str(timestamp),
            'webhook-signature': _signature(keys, webhook_id, timestamp, body_bytes),
        }
        try:
            status, detail = _post(config, headers, body_bytes)
        except AgentUnreachable as e:
            _breaker_failed(callback, config, state, now)
            _log(callback, 'event {} not delivered: {} (will retry)'.format(webhook_id, e))
            return _RETRY
        if state is not None:
            _breaker_clear(config)  # the agent answered: close the breaker
        if 200 <= status < 300:
            _log(callback, 'event {} delivered (HTTP {})'.format(webhook_id, status))
            return 0
        if _retryable(status):
            _log(callback, 'event {}: agent answered HTTP {} (will retry) {}'.format(webhook_id, status, detail))
            return _RETRY
        _log(callback, 'event {}: agent refused it with HTTP {} (not retried) {}'.format(webhook_id, status, detail))
        return 0
    except Exception as e:  # an unreadable secret file, anything unforeseen: retry, never raise
        _log(callback, 'event {} not delivered: {}: {} (will retry)'.format(webhook_id, type(e).__name__, e))
        return _RETRY
