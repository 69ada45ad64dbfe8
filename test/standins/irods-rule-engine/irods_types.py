"""Stand-in for the `irods_types` module of irods_rule_engine_plugin_python.

Shapes follow the plugin's Boost.Python bindings (src/types/irods/*.cpp): char arrays are NOT
Python strings (the plugin returns array_ref<char>, whose str() reads up to the first NUL), so
rules must call str() on them; KeyValPair has len/key/value and __getitem__ raising KeyError;
BytesBuf has len and buf. Only the members the agent's rules and tests touch are modelled.
"""


class CharArray(object):
    """array_ref<char>: a view on a C char array. str() stops at the first NUL, like the plugin."""

    def __init__(self, text=''):
        self._text = text

    def __str__(self):
        return self._text.split('\x00', 1)[0]

    def __repr__(self):
        return 'CharArray({!r})'.format(self._text)

    def __len__(self):
        return len(self._text)

    def __getitem__(self, i):
        return self._text[i]


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
    def __init__(self, data=b''):
        if isinstance(data, str):
            data = data.encode('utf-8')
        self._data = data
        self.len = len(data)

    @property
    def buf(self):
        return CharArray(self._data.decode('utf-8', 'replace')) if self._data else None

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
