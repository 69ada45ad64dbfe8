"""Ice exceptions as OMERO.py shows them. IcePy stringifies an Ice exception as its Slice type id
and its members between braces (zeroc-ice python/modules/IcePy/Types.cpp, ExceptionInfo::print
and PrimitiveInfo::print: `out << "exception " << id; out.sb(); … out.eb();`, values through
str()), and Python names the class `Ice.<Name>` in a traceback.
"""


def ice_text(type_id, members):
    """str(e) of an Ice exception: `exception ::Ice::ConnectionLostException\\n{\\n    error = 0\\n}`."""
    body = "".join("\n    %s = %s" % (name, value) for name, value in members)
    return "exception %s\n{%s\n}" % (type_id, body)


class ConnectionLostException(Exception):
    """Ice.ConnectionLostException (a SocketException: one member, `error`)."""

    __module__ = "Ice"

    def __str__(self):
        return ice_text("::Ice::ConnectionLostException", [("error", 0)])


def refused_session(user_id, group_id):
    """What sessions.login dies with (556, its catch-all) when the server refuses a group the
    account is not in: the server's SecurityViolation ("User %s is not a member of group %s and
    cannot login", omero-server ome/security/basic/BasicSecuritySystem) is wrapped by
    SessionManagerI.create into a WrappedCreateSessionException (reason, concurrency = False,
    backOff = -1, type = the Java class), which omero/plugins/sessions.py does not catch by name:
    `self.ctx.die(556, "InternalException: Failed to connect: %s" % e)`."""
    members = [
        ("reason", "User %s is not a member of group %s and cannot login" % (user_id, group_id)),
        ("concurrency", False),
        ("backOff", -1),
        ("type", "ome.conditions.SecurityViolation"),
    ]
    return "InternalException: Failed to connect: " + ice_text("::omero::WrappedCreateSessionException", members)
