"""A small stand-in for the parts of an iRODS 4.3 server that the agent's Python rules meet.

It is NOT an iRODS server. It reproduces, from the public sources of irods/irods and
irods/irods_rule_engine_plugin_python, what a rule module can observe:

- agent processes: each client connection is served by its own process with its own Python
  module state and its own L1 descriptor table (lowest free index from 3, like allocL1desc);
- the API framework: for each API call, pep_api_<op>_pre, the operation, pep_api_<op>_post (post
  only when the operation succeeded), each looked up by name in core.py like the plugin does,
  with rule_args = [instance name, PluginContext, API inputs...] (apiHandler.hpp
  invoke_policy_enforcement_point: exec_rule(rule_name, instance_name_, _ctx, _t...)): the
  connection is NOT an argument; it is in rule_args[1].map() and in rei.uoic / rei.uoip;
- the callback: writeLine, delayExec (tag parsing, session-variable refusal, catalog column
  size), msi_get_open_data_obj_l1desc_index, msi_get_file_descriptor_info; any other name is
  NO_MICROSERVICE_FOUND_ERR; errors raise RuntimeError('[iRods__Error__Code:N] ...');
- the delay queue (R_RULE_EXEC) and the delay server: a delayed rule's text is run as the body
  of `def expressionFcn(rule_args, callback, rei):` with every "\\n" replaced by "\\n " (as
  exec_rule_expression does), a negative return or an exception is a failure, and <EF> follows
  getNextRepeatTime + update_entry_for_repeat. A delayed rule runs as the user who queued it
  (fillSubmitConditions takes rei->uoic; the delay server connects as its admin proxy on that
  user's behalf and rsExecRuleExpression sets clientUser from the rule's uoic). Time is virtual:
  the delay server jumps to the next due rule instead of sleeping, so 20 retries every 30 s take
  milliseconds.
"""
import importlib.util
import json
import re
import sys
import time
import traceback
import types

import irods_errors
import irods_types

PYTHON_INSTANCE = 'irods_rule_engine_plugin-python-instance'
# rule_args[0] of an API PEP: the api_entry's plugin instance name (lib/core/src/apiHandler.cpp,
# api_entry::api_entry: plugin_base("api_instance", "api_context")).
API_INSTANCE = 'api_instance'
RULE_NAME_COLUMN_LIMIT = 2700  # R_RULE_EXEC.rule_name varchar(2700)

# server/core/src/server_utilities.cpp: delayed rules naming a session variable are refused.
_SESSION_VARS = re.compile(
    r'\$\b(?:pluginInstanceName|status|objPath|dataType|dataSize|chksum|version|filePath|replNum|'
    r'replStatus|writeFlag|dataOwner|dataOwnerZone|dataExpiry|dataComments|dataCreate|dataModify|'
    r'dataAccess|dataAccessInx|dataId|collId|statusString|destRescName|backupRescName|rescName|'
    r'userClient|userNameClient|rodsZoneClient|sysUidClient|privClient|clientAddr|authStrClient|'
    r'userAuthSchemeClient|userInfoClient|userCommentClient|userCreateClient|userModifyClient|'
    r'userProxy|userNameProxy|rodsZoneProxy|privProxy|authStrProxy|userAuthSchemeProxy|userInfoProxy|'
    r'userCommentProxy|userCreateProxy|userModifyProxy|collName|collParentName|collOwnername|'
    r'collExpiry|collComments|collCreate|collModify|collAccess|collAccessInx|collInheritance|'
    r'otherUser|otherUserName|otherUserZone|otherUserType|connectCnt|connectSock|connectOption|'
    r'connectStatus|connectApiInx|KVPairs)\b')
# The server versions the stand-in models. For the API PEPs the rules use, 4.3.5 and 5.0.2 call
# the same PEPs with the same inputs for every upload route (apiTable.hpp, replica_open.cpp,
# replica_close.cpp, and iput's putUtil.cpp still calling rcDataObjPut in 5.0.2); what differs for
# a rule module is the microservice table: these were removed in 5.0 (server/re/include/irods/
# reAction.hpp of each tag compared).
VERSIONS = ('4.3.5', '5.0.2')
REMOVED_MICROSERVICES = {
    '4.3.5': frozenset(),
    '5.0.2': frozenset(['msiAclPolicy', 'msiDigestMonStat', 'msiFlushMonStat', 'msiSendMail',
                        'msiServerMonPerf', 'msiSetResource']),
}
_TAG = re.compile(r'<([A-Za-z_]+)>(.*?)</\1>', re.DOTALL)
_UNITS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'y': 365 * 86400}

O_RDONLY, O_WRONLY, O_CREAT, O_TRUNC = 0, 1, 0o100, 0o1000
CREATE_TYPE, OPEN_FOR_READ_TYPE, OPEN_FOR_WRITE_TYPE = 1, 2, 3
RENAME_DATA_OBJ, RENAME_COLL = 11, 12


class IrodsError(RuntimeError):
    def __init__(self, code, message):
        RuntimeError.__init__(self, '[iRods__Error__Code:{}] {}'.format(code, message))
        self.code = code


def _seconds(text):
    m = re.match(r'^\s*(\d+)\s*([smhdy]?)\s*$', text)
    if not m:
        raise IrodsError(irods_errors.SYS_INVALID_INPUT_PARAM, 'bad time offset ' + text)
    return int(m.group(1)) * _UNITS[m.group(2) or 's']


def next_repeat(now, frequency):
    """Port of getNextRepeatTime (lib/core/src/rcMisc.cpp) for the forms the agent uses.
    Returns (action, next_time, new_frequency); actions as in update_entry_for_repeat."""
    m = re.match(r'^(\d+)([smhdy]?)\s*(.*)$', frequency.strip())
    if not m:
        raise ValueError('unsupported EF ' + frequency)
    it, unit, directive = int(m.group(1)), m.group(2) or 's', m.group(3).strip()
    dt = it * _UNITS[unit]
    nxt = now + dt
    if directive in ('', 'REPEAT FOR EVER'):
        return 0, nxt, frequency
    if directive == 'DOUBLE FOR EVER':
        return 3, nxt, '{}{} DOUBLE FOR EVER'.format(it * 2, unit)
    for word, factor in (('REPEAT', 1), ('DOUBLE', 2)):
        prefix = word + ' UNTIL SUCCESS OR '
        if directive.startswith(prefix) and 'UNTIL SUCCESS OR UNTIL' not in directive:
            rest = directive[len(prefix):]
            count = re.match(r'^(\d+)', rest)
            if not count:
                raise ValueError('unsupported EF ' + frequency)
            n = int(count.group(1)) - 1
            original = re.search(r'ORIGINAL TIMES=(\d+)', rest)
            tail = 'TIMES. ORIGINAL TIMES={}'.format(original.group(1) if original else n + 1)
            new = '{}{} {}{} {}'.format(it * factor, unit, prefix, n, tail)
            return (2 if n <= 0 else 4), nxt, new
    if directive == 'REPEAT UNTIL SUCCESS':
        return 1, nxt, frequency
    if directive == 'DOUBLE UNTIL SUCCESS':
        return 4, nxt, '{}{} DOUBLE UNTIL SUCCESS'.format(it * 2, unit)
    raise ValueError('EF form not modelled by the stand-in: ' + frequency)


class Callback(object):
    """The `callback` object: attribute access names a microservice or rule."""

    def __init__(self, process):
        object.__setattr__(self, '_process', process)
        object.__setattr__(self, '_server', process.server)

    def __getattr__(self, name):
        process = self._process

        def call(*args):
            server = process.server
            server.microservices_called.add(name)
            if name in server.disabled_microservices or name in REMOVED_MICROSERVICES[server.version]:
                raise IrodsError(irods_errors.NO_MICROSERVICE_FOUND_ERR, 'no microservice ' + name)
            handler = getattr(process, 'msi_' + name, None) if not name.startswith('msi_') else getattr(process, name, None)
            if handler is None:
                raise IrodsError(irods_errors.NO_MICROSERVICE_FOUND_ERR, 'no microservice ' + name)
            arguments = handler(*args)
            return {'code': 0, 'status': True, 'arguments': arguments}
        return call


class Process(object):
    """One iRODS agent process (one client connection), with its own core.py and rule module."""

    def __init__(self, server, name):
        self.server = server
        self.name = name
        self.l1 = {}
        self.rei = None  # the RuleExecInfo of the PEP running now (delayExec reads its uoic)
        self.callback = Callback(self)
        try:
            self.rules_module = server.load_module('irods_omero_agent_rules', server.rules_path)
            self.rules_module._clock = server.clock
        except Exception:  # a broken module: core.py's import of it fails, as on a server
            self.rules_module = None
        with self.active():
            self.core = types.ModuleType('core')
            self.core.__dict__['irods_types'] = irods_types
            self.core.__dict__['irods_errors'] = irods_errors
            exec(compile(server.core_source, 'core.py', 'exec'), self.core.__dict__)

    def active(self):
        process = self

        class Scope(object):
            def __enter__(self):
                self.saved = sys.modules.get('irods_omero_agent_rules')
                if process.rules_module is None:
                    sys.modules.pop('irods_omero_agent_rules', None)
                else:
                    sys.modules['irods_omero_agent_rules'] = process.rules_module

            def __exit__(self, *exc):
                if self.saved is None:
                    sys.modules.pop('irods_omero_agent_rules', None)
                else:
                    sys.modules['irods_omero_agent_rules'] = self.saved
                return False
        return Scope()

    # --- microservices -----------------------------------------------------------------------
    def msi_writeLine(self, target, text):
        self.server.log.append({'process': self.name, 'target': str(target), 'message': str(text)})
        return [target, text]

    def msi_msiExit(self, code, message):
        # msiHelper.cpp msiExit: the message goes onto the connection's rError stack (what the
        # client shows the user) and the code is returned, which fails the microservice.
        self.server.client_errors.append({'process': self.name, 'code': int(str(code)), 'message': str(message)})
        raise IrodsError(int(str(code)), str(message))

    def msi_delayExec(self, hints, rule_text, recovery):
        user = self.rei.uoic if self.rei is not None else None
        return self.server.submit_delayed(self, user, str(hints), str(rule_text), str(recovery))

    def msi_get_open_data_obj_l1desc_index(self, path, _out):
        if not isinstance(path, str):
            raise IrodsError(irods_errors.SYS_INVALID_INPUT_PARAM, 'path must be a string')
        for fd in sorted(self.l1):
            if self.l1[fd]['path'] == path:
                return [path, fd]
        raise IrodsError(irods_errors.NO_VALUES_FOUND, 'not open: ' + path)

    def msi_get_file_descriptor_info(self, fd, _out):
        if not isinstance(fd, int) or fd < 3:
            raise IrodsError(irods_errors.SYS_INVALID_INPUT_PARAM, 'fd must be an int >= 3')
        d = self.l1.get(fd)
        if d is None:
            raise IrodsError(irods_errors.SYS_BAD_FILE_DESCRIPTOR, 'descriptor {} not in use'.format(fd))
        info = {
            'l3descInx': fd + 10, 'in_use': True, 'operation_type': 1 if d['open_type'] != OPEN_FOR_READ_TYPE else 2,
            'open_type': d['open_type'], 'operation_status': 0, 'data_object_input_replica_flag': 0,
            'data_object_input': {'object_path': d['path'], 'create_mode': 384, 'open_flags': d['flags'],
                                  'offset': 0, 'data_size': -1, 'number_of_threads': 0, 'operation_type': 0,
                                  'special_collection': None, 'condition_input': []},
            'data_object_info': {'object_path': d['path'], 'resource_name': d['resource'],
                                 'resource_hierarchy': d['resource'], 'data_size': 0, 'checksum': '',
                                 'replica_number': 0, 'replica_status': 2, 'data_id': 10000 + fd},
            'bytes_written': -1, 'data_size': -1, 'replica_status': 2, 'checksum': '', 'replica_token': '',
        }
        return [fd, json.dumps(info)]

    # --- the API framework ---------------------------------------------------------------------
    def comm(self, step):
        zone = step.get('zone', 'tempZone')
        if step.get('admin'):  # authFlag LOCAL_PRIV_USER_AUTH (5), as the server sets for a rodsadmin
            client = irods_types.UserInfo(step.get('user', 'rods'), zone, 'rodsadmin', 5)
        else:
            client = irods_types.UserInfo(step.get('user', 'alice'), zone)
        proxy = irods_types.UserInfo(step['proxy'], zone, 'rodsadmin', 5) if step.get('proxy') else None
        return irods_types.RsComm(client, proxy)

    def fire(self, pep, rule_args, comm):
        """Runs a PEP the way the plugin does: core.<pep>(rule_args, callback, rei) if defined."""
        fn = getattr(self.core, pep, None)
        if fn is None:
            return None
        rei = irods_types.RuleExecInfo(comm, PYTHON_INSTANCE)
        record = {'process': self.name, 'pep': pep}
        self.rei = rei
        try:
            with self.active():
                record['returned'] = fn(rule_args, self.callback, rei)
        except Exception as e:
            record['raised'] = '{}: {}'.format(type(e).__name__, e)
            self.server.log.append({'process': self.name, 'target': 'plugin',
                                    'message': 'caught python exception: ' + traceback.format_exc()})
        finally:
            self.rei = None
        self.server.pep_calls.append(record)
        return record

    def api(self, op, inputs, comm, operation):
        """pre PEP, the operation, post PEP (only on success), like irods::api_entry::call_handler."""
        args = [API_INSTANCE, irods_types.PluginContext(comm)] + inputs
        pre = self.fire('pep_api_{}_pre'.format(op), args, comm)
        if pre is not None and 'raised' in pre:
            return {'api': op, 'failed_by': 'pre'}
        returned = pre.get('returned') if pre is not None else None
        if isinstance(returned, int) and not isinstance(returned, bool) and returned < 0:
            # A pre-PEP returning an error refuses the operation with that code (call_handler).
            return {'api': op, 'refused': returned}
        result = operation()
        post = self.fire('pep_api_{}_post'.format(op), args, comm)
        if post is not None and 'raised' in post:
            return {'api': op, 'failed_by': 'post', 'result': result}
        return {'api': op, 'result': result}

    def allocate(self, path, open_type, flags, resource):
        fd = 3
        while fd in self.l1:
            fd += 1
        self.l1[fd] = {'path': path, 'open_type': open_type, 'flags': flags, 'resource': resource}
        return fd


class Server(object):
    def __init__(self, rules_path, core_source, disabled_microservices=(), fail_delay_exec=False, version='5.0.2'):
        if version not in VERSIONS:
            raise ValueError('the stand-in models iRODS {}, not {}'.format(' and '.join(VERSIONS), version))
        self.version = version
        self.microservices_called = set()
        # The catalog GenQuery sees: collection and data object paths with their AVUs.
        self.catalog = {'collections': {}, 'data_objects': {}}
        self.fail_genquery = False
        self.client_errors = []
        self.rules_path = rules_path
        self.core_source = core_source
        self.disabled_microservices = set(disabled_microservices)
        self.fail_delay_exec = fail_delay_exec
        self.now = float(int(time.time()))
        self.log = []
        self.pep_calls = []
        self.rules = []
        self.executions = []
        self.next_rule_id = 10001
        self.processes = {}

    def clock(self):
        return self.now

    def load_module(self, name, path):
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    def process(self, name):
        if name not in self.processes:
            self.processes[name] = Process(self, name)
        return self.processes[name]

    def catalog_rules(self):
        return [dict(r) for r in self.rules]

    def seed_catalog(self, seed):
        for kind in ('collections', 'data_objects'):
            for path, avus in (seed or {}).get(kind, {}).items():
                self.catalog[kind][path] = [tuple(a) for a in avus]

    def move(self, src, dst):
        """A rename in the catalog: the object, or the collection and everything below it."""
        for kind in ('collections', 'data_objects'):
            table = self.catalog[kind]
            for path in [p for p in table if p == src or p.startswith(src + '/')]:
                table[dst + path[len(src):]] = table.pop(path)

    def remove(self, path):
        for kind in ('collections', 'data_objects'):
            table = self.catalog[kind]
            for p in [p for p in table if p == path or p.startswith(path + '/')]:
                del table[p]

    # --- delay queue -------------------------------------------------------------------------
    def submit_delayed(self, process, user, hints, rule_text, recovery):
        if self.fail_delay_exec:
            raise IrodsError(irods_errors.CAT_SQL_ERR, 'stand-in: catalog unavailable')
        if _SESSION_VARS.search(rule_text):
            raise IrodsError(irods_errors.RE_UNSUPPORTED_SESSION_VAR,
                             'Rules cannot contain session variables. Use dynamic PEPs instead.')
        if len(rule_text) > RULE_NAME_COLUMN_LIMIT:
            raise IrodsError(irods_errors.CAT_SQL_ERR, 'rule text longer than the rule_name column')
        tags = dict((m.group(1), m.group(2)) for m in _TAG.finditer(hints))
        exe_time = self.now + (_seconds(tags['PLUSET']) if 'PLUSET' in tags else 0)
        # rsRuleExecSubmit.cpp: a given priority must be an integer 1..9, none means 5.
        priority = tags.get('PRIORITY', '5')
        if not re.match(r'^\s*[0-9]+\s*$', priority) or not 1 <= int(priority) <= 9:
            raise IrodsError(irods_errors.SYS_INVALID_INPUT_PARAM, 'Delay rule priority must satisfy 1 <= P <= 9.')
        rule = {
            'id': self.next_rule_id, 'name': rule_text, 'exe_time': int(exe_time),
            'frequency': tags.get('EF', ''), 'instance': tags.get('INST_NAME', ''),
            'priority': int(priority),
            'user': str(user.userName) if user is not None else '',
            'user_zone': str(user.rodsZone) if user is not None else '',
            'queued_by_process': process.name, 'hints': hints,
        }
        self.next_rule_id += 1
        self.rules.append(rule)
        return [hints, rule_text, recovery]

    def run_delay_server(self, max_runs=500, until_now=False):
        """Runs due rules, jumping the virtual clock to the next due one, until the queue is empty
        (or, with until_now, only the rules already due, without moving the clock)."""
        runs = 0
        worker = self.process('delay-server')
        while self.rules and runs < max_runs:
            due = min(r['exe_time'] for r in self.rules)
            if due > self.now:
                if until_now:
                    break
                self.now = float(due)
            # irodsDelayServer.cpp: SELECT RULE_EXEC_ID, ORDER_DESC(RULE_EXEC_PRIORITY) WHERE RULE_EXEC_TIME <= now
            due_now = (r for r in self.rules if r['exe_time'] <= self.now)
            rule = sorted(due_now, key=lambda r: (-r['priority'], r['exe_time'], r['id']))[0]
            started = time.monotonic()
            status = self._execute(worker, rule)
            runs += 1
            # 'seconds' is real time: how long the run held a delay-server executor.
            self.executions.append({'rule_id': rule['id'], 'status': status, 'at': self.now,
                                    'frequency': rule['frequency'], 'priority': rule['priority'],
                                    'user': rule['user'], 'seconds': time.monotonic() - started})
            self._after_run(rule, status)
        return runs

    def _execute(self, worker, rule):
        if rule['instance'] != PYTHON_INSTANCE:
            # Without INST_NAME the native rule engine would try to parse Python text and fail.
            self.log.append({'process': worker.name, 'target': 'delay-server',
                             'message': 'no rule engine instance for rule {}'.format(rule['id'])})
            return irods_errors.RULE_ENGINE_ERROR
        fcn_text = ('def expressionFcn(rule_args, callback, rei):\n' + rule['name']).replace('\n', '\n ')
        namespace = {'irods_types': irods_types, 'irods_errors': irods_errors, '__name__': '__main__'}
        try:
            with worker.active():
                exec(compile(fcn_text, '<delayed rule {}>'.format(rule['id']), 'exec'), namespace)
                # As the user who queued it, through the delay server's admin proxy account.
                comm = worker.comm({'user': rule['user'], 'zone': rule['user_zone'] or 'tempZone', 'proxy': 'rods'})
                rei = irods_types.RuleExecInfo(comm, PYTHON_INSTANCE)
                result = namespace['expressionFcn']([], worker.callback, rei)
        except Exception:
            self.log.append({'process': worker.name, 'target': 'plugin',
                             'message': 'caught python exception: ' + traceback.format_exc()})
            return irods_errors.RULE_ENGINE_ERROR
        if isinstance(result, int) and not isinstance(result, bool):
            return result
        return 0

    def _after_run(self, rule, status):
        status = 0 if status > 0 else status
        if not rule['frequency']:
            self.rules.remove(rule)  # run once: removed whether it worked or not
            return
        action, nxt, new_frequency = next_repeat(int(self.now), rule['frequency'])
        if action == 2 or (action in (1, 4) and status == 0):
            self.rules.remove(rule)
            return
        rule['exe_time'] = int(nxt)
        if action in (3, 4):
            rule['frequency'] = new_frequency
