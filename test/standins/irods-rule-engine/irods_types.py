"""Stand-in for the `irods_types` module of irods_rule_engine_plugin_python.

Shapes follow the plugin's Boost.Python bindings (src/types/irods/*.cpp): char arrays are NOT
Python strings (the plugin returns array_ref<char>, whose str() reads up to the first NUL), so
rules must call str() on them; KeyValPair has len/key/value and __getitem__ raising KeyError;
BytesBuf has len and buf. Only the members the agent's rules and tests touch are modelled.
"""


class CharArray(object):
    """array_ref<char>: a view on a C char array (src/types/standard/arrays.cpp). Its __str__ is
    `std::string{data()}`: it reads up to the first NUL, whatever the array's length, and
    Boost.Python turns that std::string into a str by strict UTF-8 decoding, so a name that is
    not UTF-8 raises UnicodeDecodeError. Built from bytes (or str, encoded as UTF-8); `memory`
    models what follows the array in the C heap when it is not NUL-terminated."""

    def __init__(self, text='', length=None, memory=b'\x00'):
        data = text.encode('utf-8') if isinstance(text, str) else bytes(text)
        self._data = data
        self._length = len(data) if length is None else length
        self._memory = memory

    def __str__(self):
        raw = (self._data + self._memory).split(b'\x00', 1)[0]
        return raw.decode('utf-8')  # strict: UnicodeDecodeError, as Boost.Python raises

    def __repr__(self):
        return 'CharArray({!r})'.format(self._data)

    def __len__(self):
        return self._length

    def __getitem__(self, i):
        return chr(self._data[i]) if isinstance(i, int) else self._data[i].decode('latin-1')


class KeyValPair(object):
    def __init__(self, pairs=None):
        items = list((pairs or {}).items())
        self.len = len(items)
        self.key = [CharArray(k) for k, _ in items]
        self.value = [CharArray(v) for _, v in items]

    def __getitem__(self, key):
        for k, v in zip(self.key, self.value):
            if str(k) == key:
                return str(v)
        raise KeyError('{} was not found in the list of keys.'.format(key))


class AuthInfo(object):
    def __init__(self, scheme='native', flag=3):
        self.authScheme = CharArray(scheme)
        self.authFlag = flag
        self.flag = 0
        self.ppid = 0
        self.host = CharArray('')
        self.authStr = CharArray('')


class UserOtherInfo(object):
    def __init__(self):
        self.userInfo = CharArray('')
        self.userComments = CharArray('')
        self.userCreate = CharArray('')
        self.userModify = CharArray('')


class UserInfo(object):
    def __init__(self, name='', zone='', user_type='rodsuser', auth_flag=3):
        self.userName = CharArray(name)
        self.rodsZone = CharArray(zone)
        self.userType = CharArray(user_type)
        self.sysUid = 0
        self.authInfo = AuthInfo(flag=auth_flag)
        self.userOtherInfo = UserOtherInfo()


class RsComm(object):
    """Server-side connection (rsComm_t). The HTTP and S3 APIs connect as their rodsadmin proxy
    and switch to the end user: clientUser is the user, proxyUser the API's account."""

    def __init__(self, client, proxy=None, client_addr='127.0.0.1'):
        self.clientUser = client
        self.proxyUser = proxy if proxy is not None else client
        self.clientAddr = CharArray(client_addr)
        self.connectCnt = 0
        self.sock = 7
        self.option = CharArray('')
        self.status = 0
        self.apiInx = 0


class PluginContext(object):
    """irods::plugin_context as the plugin exposes it (src/types/irods/irods_plugin_context.cpp):
    `rule_results` and `map()` ONLY. An API PEP gets it as rule_args[1] (apiHandler.hpp:
    exec_rule(rule_name, instance_name_, _ctx, inputs...)); map() holds the fco's variables (none
    for an API call: the context is built from the connection alone) and the connection
    serialized by irods_re_serialization.cpp serialize_rsComm_ptr, every value a str."""

    __slots__ = ('_comm', '_results')

    def __init__(self, comm):
        self._comm = comm
        self._results = ''

    @property
    def rule_results(self):
        return self._results

    def map(self):
        c = self._comm
        out = {'client_addr': str(c.clientAddr)}
        for key, user in (('proxy_', c.proxyUser), ('user_', c.clientUser)):
            out[key + 'user_name'] = str(user.userName)
            out[key + 'rods_zone'] = str(user.rodsZone)
            out[key + 'user_type'] = str(user.userType)
            out[key + 'sys_uid'] = str(user.sysUid)
            out[key + 'auth_info_auth_scheme'] = str(user.authInfo.authScheme)
            out[key + 'auth_info_auth_flag'] = str(user.authInfo.authFlag)
            out[key + 'auth_info_flag'] = str(user.authInfo.flag)
            out[key + 'auth_info_ppid'] = str(user.authInfo.ppid)
            out[key + 'auth_info_host'] = str(user.authInfo.host)
            out[key + 'auth_info_auth_str'] = str(user.authInfo.authStr)
            out[key + 'user_other_info_user_info'] = str(user.userOtherInfo.userInfo)
            out[key + 'user_other_info_user_comments'] = str(user.userOtherInfo.userComments)
            out[key + 'user_other_info_user_create'] = str(user.userOtherInfo.userCreate)
            out[key + 'user_other_info_user_modify'] = str(user.userOtherInfo.userModify)
        out['socket'] = str(c.sock)
        out['connect_count'] = str(c.connectCnt)
        out['status'] = str(c.status)
        out['api_index'] = str(c.apiInx)
        out['option'] = str(c.option)
        return out


class DataObjInp(object):
    def __init__(self, obj_path, open_flags=0, data_size=-1, opr_type=0, cond=None):
        self.objPath = CharArray(obj_path)
        self.createMode = 0o600
        self.openFlags = open_flags
        self.offset = 0
        self.dataSize = data_size
        self.numThreads = 0
        self.oprType = opr_type
        self.specColl = None
        self.condInput = KeyValPair(cond)


class CollInp(object):
    """collInp_t (src/types/irods/dataObjInpOut.cpp): collName, flags, oprType, condInput."""

    def __init__(self, coll_name, flags=0, opr_type=0, cond=None):
        self.collName = CharArray(coll_name)
        self.flags = flags
        self.oprType = opr_type
        self.condInput = KeyValPair(cond)


class OpenedDataObjInp(object):
    def __init__(self, l1desc_inx, cond=None):
        self.l1descInx = l1desc_inx
        self.len = 0
        self.whence = 0
        self.oprType = 0
        self.offset = 0
        self.bytesWritten = 0
        self.condInput = KeyValPair(cond)


class BytesBuf(object):
    """bytesBuf_t (src/types/irods/rodsDef.cpp): `len`, `buf` (array_ref<char> over buf and len,
    None when buf is NULL), get_byte(n) and get_bytes() (a list of len ints). `buf` is not
    NUL-terminated when the sender did not add one: `trailing` is what the C heap holds after it,
    which str(buf) reads on to the next NUL (std::string{data()})."""

    def __init__(self, data=b'', trailing=b'\x00'):
        if isinstance(data, str):
            data = data.encode('utf-8')
        self._data = data
        self._trailing = trailing
        self.len = len(data)

    @property
    def buf(self):
        return CharArray(self._data, memory=self._trailing) if self._data else None

    def get_byte(self, n):
        if n >= self.len:
            raise IndexError('BytesBuf out-of-range access')
        return self._data[n]

    def get_bytes(self):
        return list(self._data)


class DataObjCopyInp(object):
    def __init__(self, src, dest):
        self.srcDataObjInp = src
        self.destDataObjInp = dest


class RuleExecInfo(object):
    """rei for a dynamic API PEP: rsComm and the client/proxy users; no data object info."""

    def __init__(self, comm=None, instance_name=''):
        self.status = 0
        self.statusStr = CharArray('')
        self.ruleName = CharArray('')
        self.rsComm = comm
        self.pluginInstanceName = CharArray(instance_name)
        self.msParamArray = None
        self.inOutMsParamArray = None
        self.l1descInx = 0
        self.doinp = None
        self.doi = None
        self.rescName = CharArray('')
        self.uoic = comm.clientUser if comm is not None else None
        self.uoip = comm.proxyUser if comm is not None else None
        self.coi = None
        self.uoio = None
        self.condInputData = None
