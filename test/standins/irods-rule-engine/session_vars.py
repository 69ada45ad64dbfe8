"""Stand-in for the plugin's session_vars.py: get_map(rei) with the same keys as upstream
(client_user and proxy_user from rei.uoic / rei.uoip, falling back to rei.rsComm)."""


def _user_map(user):
    return {
        'user_name': str(user.userName),
        'irods_zone': str(user.rodsZone),
        'user_type': str(user.userType),
        'system_uid': user.sysUid,
        'authentication_info': {
            'authentication_scheme': str(user.authInfo.authScheme),
            'privilege_level': user.authInfo.authFlag,
            'flag': user.authInfo.flag,
            'ppid': user.authInfo.ppid,
            'host': str(user.authInfo.host),
            'authentication_string': str(user.authInfo.authStr),
        },
        'info': str(user.userOtherInfo.userInfo),
        'comments': str(user.userOtherInfo.userComments),
        'create_time': str(user.userOtherInfo.userCreate),
        'modify_time': str(user.userOtherInfo.userModify),
    }


def get_map(rei):
    comm = rei.rsComm
    client = rei.uoic if rei.uoic is not None else (comm.clientUser if comm is not None else None)
    proxy = rei.uoip if rei.uoip is not None else (comm.proxyUser if comm is not None else None)
    return {
        'plugin_instance_name': str(rei.pluginInstanceName),
        'status': rei.status,
        'operation_type': rei.doinp.oprType if rei.doinp is not None else None,
        'connection': {
            'client_address': str(comm.clientAddr),
            'connection_count': comm.connectCnt,
            'socket': comm.sock,
            'option': str(comm.option),
            'status': comm.status,
            'api_number': comm.apiInx,
        } if comm is not None else None,
        'data_object': None,
        'collection': None,
        'client_user': _user_map(client) if client is not None else None,
        'proxy_user': _user_map(proxy) if proxy is not None else None,
        'other_user': None,
        'key_value_pairs': None,
    }
