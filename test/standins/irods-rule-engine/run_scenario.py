#!/usr/bin/env python3
"""Runs one scenario against the rule-engine stand-in and prints what happened as JSON.

stdin: {
  "rules_path": ".../rules/python/irods_omero_agent_rules.py",
  "core_py": optional core.py source (default: import the module and install() it),
  "config": the rules' JSON configuration (written to a temporary file),
  "secret": optional whsec_ secret, written to a 0600 file named by config.secret_file,
  "server": {"disabled_microservices": [...], "fail_delay_exec": false, "version": "4.3.5" | "5.0.2"},
  "catalog": {"collections": {path: [[attr, value, units], ...]}, "data_objects": {...}},
  "steps": [ ... ]
}
Steps (what a client does; "process" names the agent process serving it, default "p1"):
  {"op": "put", "path", "size"?, "checksum"?, "resource"?, "user"?, "proxy"?, "path_bytes_hex"?}
                                      iput (path_bytes_hex: the path's raw bytes, e.g. not UTF-8)
  {"op": "open", "api": "data_obj_open|data_obj_create|replica_open", "path", "write"?: true, "as"?: "name"}
  {"op": "close", "api": "data_obj_close|replica_close", "fd": int|"name", "update_status"?: bool,
   "terminated"?: true}               terminated false: the JSON buffer has no NUL (as
                                      python-irodsclient sends it) and the heap after it is not UTF-8
  {"op": "register", "path", "physical_path"?, "size"?, "resource"?, "collection"?: false}   ireg
  {"op": "rename", "src", "dst", "collection"?: false}                           imv
  {"op": "copy", "src", "dst", "resource"?}                                      icp
  {"op": "rm", "path"}                                                           irm of a data object
  {"op": "rmcoll", "path"}                                                       irm -r of a collection
  {"op": "imeta", "args": [...]}      imeta (mod_avu_metadata): args as ModAVUMetadataInp's arg0..
  {"op": "atomic_metadata", "request": {...}}
                                      the atomic metadata API (HTTP API modify_metadata), JSON
  Any step may say "admin": true: its user is a rodsadmin (auth flag LOCAL_PRIV_USER_AUTH).
  {"op": "broken_pep", "pep"}         a PEP called with arguments that raise on every access
  {"op": "advance", "seconds"}        move the virtual clock
  {"op": "delay_server", "until_now"?: false}
                                      run the delay server until its queue is empty (until_now:
                                      only the rules already due, without moving the clock)
stdout: {"steps": [...], "peps": [...], "log": [...], "queue": [...], "executions": [...],
         "breaker": the circuit breaker's marker file at the end, or null}
"""
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import irods_types  # noqa: E402
from fake_server import (CREATE_TYPE, O_CREAT, O_TRUNC, O_WRONLY, OPEN_FOR_READ_TYPE,  # noqa: E402
                         OPEN_FOR_WRITE_TYPE, RENAME_COLL, RENAME_DATA_OBJ, Server)

DEFAULT_CORE = 'import irods_omero_agent_rules\nirods_omero_agent_rules.install(globals())\n'


class Exploding(object):
    """An argument whose every attribute access raises, to prove a PEP swallows it."""

    def __getattr__(self, name):
        raise RuntimeError('stand-in: broken argument ({})'.format(name))

    def __getitem__(self, key):
        raise RuntimeError('stand-in: broken argument [{}]'.format(key))


def run_step(server, step, fds):
    op = step['op']
    if op == 'advance':
        server.now += float(step['seconds'])
        return {'op': op, 'now': server.now}
    if op == 'delay_server':
        runs = server.run_delay_server(step.get('max_runs', 500), step.get('until_now', False))
        return {'op': op, 'runs': runs, 'now': server.now}

    process = server.process(step.get('process', 'p1'))
    comm = process.comm(step)
    if op == 'put':
        cond = {'destRescName': step.get('resource', 'demoResc'), 'dataType': 'generic'}
        if step.get('checksum'):
            cond['chksum'] = step['checksum']
        path = bytes.fromhex(step['path_bytes_hex']) if 'path_bytes_hex' in step else step['path']
        inp = irods_types.DataObjInp(path, O_WRONLY | O_CREAT | O_TRUNC, step.get('size', 0), 1, cond)
        out = process.api('data_obj_put', [inp, irods_types.BytesBuf(), None], comm, lambda: 0)
    elif op == 'open':
        api, path = step['api'], step['path']
        write = step.get('write', True) or api == 'data_obj_create'
        flags = (O_WRONLY | O_CREAT | O_TRUNC) if write else 0
        open_type = CREATE_TYPE if api == 'data_obj_create' else (OPEN_FOR_WRITE_TYPE if write else OPEN_FOR_READ_TYPE)
        resource = step.get('resource', 'demoResc')
        inp = irods_types.DataObjInp(path, flags, -1, 0, {'destRescName': resource} if write else {})
        # replica_open's second input is its bytesBuf_t** output (the plugin hands the pointee).
        inputs = [inp] + ([irods_types.BytesBuf()] if api == 'replica_open' else [])
        out = process.api(api, inputs, comm, lambda: process.allocate(path, open_type, flags, resource))
        if 'as' in step:
            fds[step['as']] = out.get('result')
    elif op == 'close':
        fd = fds[step['fd']] if isinstance(step['fd'], str) else step['fd']
        if step['api'] == 'replica_close':
            body = {'fd': fd}
            if 'update_status' in step:
                body['update_status'] = step['update_status']
            text = json.dumps(body, separators=(',', ':'), sort_keys=True)
            if step.get('terminated', True):
                # rc_replica_close (the C++ client library: HTTP API, S3 API) sends strlen + 1 bytes.
                inp = irods_types.BytesBuf(text + '\x00')
            else:
                # A client that sends the JSON's bytes only: str(buf) would read on into the heap.
                inp = irods_types.BytesBuf(text, trailing=b'\xff\xfe heap \x00')
        else:
            inp = irods_types.OpenedDataObjInp(fd)
        out = process.api(step['api'], [inp], comm, lambda: process.l1.pop(fd, None) and 0)
    elif op == 'register':
        cond = {'destRescName': step.get('resource', 'demoResc'),
                'filePath': step.get('physical_path', '/var/lib/irods/import' + step['path'])}
        if 'size' in step:
            cond['dataSize'] = str(step['size'])
        if step.get('collection'):
            cond['collection'] = ''
        inp = irods_types.DataObjInp(step['path'], 0, -1, 0, cond)
        out = process.api('phy_path_reg', [inp], comm, lambda: 0)
    elif op == 'rename':
        kind = RENAME_COLL if step.get('collection') else RENAME_DATA_OBJ
        inp = irods_types.DataObjCopyInp(irods_types.DataObjInp(step['src'], opr_type=kind),
                                         irods_types.DataObjInp(step['dst'], opr_type=kind))
        out = process.api('data_obj_rename', [inp], comm, lambda: server.move(step['src'], step['dst']) or 0)
    elif op == 'rm':
        inp = irods_types.DataObjInp(step['path'])
        out = process.api('data_obj_unlink', [inp], comm, lambda: server.remove(step['path']) or 0)
    elif op == 'rmcoll':
        # rsRmColl(rsComm_t*, collInp_t*, collOprStat_t**): the output pointer's pointee, None here.
        inp = irods_types.CollInp(step['path'], cond={'recursiveOpr': ''})
        out = process.api('rm_coll', [inp, None], comm, lambda: server.remove(step['path']) or 0)
    elif op == 'imeta':
        # modAVUMetadataInp_t is not an irods_types class: the plugin hands the serialized dict
        # (irods_re_serialization.cpp serialize_modAVUMetaInp_ptr: arg0..arg9, present ones only).
        inp = dict(('arg{}'.format(i), a) for i, a in enumerate(step['args']))
        out = process.api('mod_avu_metadata', [inp], comm, lambda: 0)
    elif op == 'atomic_metadata':
        inp = irods_types.BytesBuf(json.dumps(step['request']) + '\x00')
        out = process.api('atomic_apply_metadata_operations', [inp, irods_types.BytesBuf()], comm, lambda: 0)
    elif op == 'copy':
        dst_cond = {'destRescName': step['resource']} if step.get('resource') else {}
        inp = irods_types.DataObjCopyInp(irods_types.DataObjInp(step['src'], opr_type=10),
                                         irods_types.DataObjInp(step['dst'], opr_type=9, cond=dst_cond))
        out = process.api('data_obj_copy', [inp, None], comm, lambda: 0)
    elif op == 'broken_pep':
        record = process.fire(step['pep'], [Exploding(), Exploding(), Exploding(), Exploding()], comm)
        out = {'api': None, 'record': record}
    else:
        raise ValueError('unknown step ' + op)
    out['op'] = op
    return out


def main():
    scenario = json.load(sys.stdin)
    workdir = tempfile.mkdtemp(prefix='ioa-rules-')
    config = dict(scenario.get('config', {}))
    if scenario.get('secret') is not None:
        secret_path = os.path.join(workdir, 'irods_omero_agent.secret')
        fd = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write(scenario['secret'] + '\n')
        config.setdefault('secret_file', secret_path)
    # The circuit breaker's marker file, in the scenario's own folder unless the test names one.
    config.setdefault('breaker_file', os.path.join(workdir, 'irods_omero_agent.breaker'))
    config_path = os.path.join(workdir, 'irods_omero_agent.json')
    with open(config_path, 'w') as f:
        json.dump(config, f)
    os.environ['IRODS_OMERO_AGENT_CONFIG'] = config_path

    opts = scenario.get('server', {})
    server = Server(scenario['rules_path'], scenario.get('core_py') or DEFAULT_CORE,
                    opts.get('disabled_microservices', ()), opts.get('fail_delay_exec', False),
                    opts.get('version', '5.0.2'))
    server.seed_catalog(scenario.get('catalog'))
    server.fail_genquery = bool(opts.get('fail_genquery'))
    fds = {}
    steps = [run_step(server, step, fds) for step in scenario.get('steps', [])]
    breaker = config.get('breaker_file')
    json.dump({
        'breaker': json.load(open(breaker)) if breaker and os.path.exists(breaker) else None,
        'microservices_called': sorted(server.microservices_called),
        'client_errors': server.client_errors,
        'catalog': server.catalog,
        'steps': steps,
        'peps': server.pep_calls,
        'log': server.log,
        'queue': server.rules,
        'executions': server.executions,
    }, sys.stdout, default=str)


if __name__ == '__main__':
    main()
