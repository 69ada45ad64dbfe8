"""`omero obj` as omero-py's src/omero/plugins/obj.py implements it, for the stand-in.

Reduced to what the agent's annotation sync uses, with upstream's argument handling, output and
exit statuses: `new` (MapAnnotation and the five annotation link classes), `map-set`,
`map-get`, `get`, and `--file` transactions with `name = …` variables and `field@=name`
references. README.md cites the lines behind each shape.
"""

import re
import shlex
import sys

# obj.py lines 42-44 and 71-74.
ARG_RE = re.compile(r"(?P<FIELD>[a-zA-Z][a-zA-Z0-9]*)(?P<OPER>[@])?=(?P<VALUE>.*)", re.MULTILINE | re.DOTALL)
VAR_NAME = r"(?P<DEST>[a-zA-Z][a-zA-Z0-9]*)"
VAR_RE = re.compile(r"^\s*%s\s*=\s(?P<REST>.*)$" % VAR_NAME)

COMMANDS = ("new", "update", "null", "map-get", "map-set", "get", "list-get", "ext-info-get", "ext-info-set")

# The parents an annotation link may have, and where the stand-in keeps them.
LINK_PARENTS = {
    "ImageAnnotationLink": ("Image", "images"),
    "ProjectAnnotationLink": ("Project", "projects"),
    "DatasetAnnotationLink": ("Dataset", "datasets"),
    "ScreenAnnotationLink": ("Screen", "screens"),
    "PlateAnnotationLink": ("Plate", "plates"),
}
# Fields each class the stand-in knows has (omero.model), with whether they may be null.
FIELDS = {
    "MapAnnotation": {"ns": True, "description": True, "name": True, "mapValue": True},
}
for _link in LINK_PARENTS:
    FIELDS[_link] = {"parent": False, "child": False}


def add_parser(sub, add_login_arguments, func):
    """ObjControl._configure (obj.py lines 614-633)."""
    obj = sub.add_parser("obj")
    add_login_arguments(obj)
    obj.add_argument("--file")
    obj.add_argument("command", nargs="?", choices=COMMANDS)
    obj.add_argument("Class", nargs="?")
    obj.add_argument("fields", nargs="*")
    obj.set_defaults(func=func)
    return obj


class TxState:
    """obj.py lines 531-557: every result is printed on its own line, in order."""

    def __init__(self):
        self.commands = []
        self.vars = {}

    def add(self):
        self.commands.append(None)

    def set_value(self, proxy, dest=None):
        sys.stdout.write("%s\n" % proxy)
        sys.stdout.flush()
        self.commands[-1] = proxy
        if dest:
            self.vars[dest] = proxy


class TxCmd:
    """obj.py lines 76-120: `(var = ) action type(:id) ( field(@)=value ... )`."""

    def __init__(self, arg_list=None, line=None):
        self.dest = None
        if line:
            m = VAR_RE.match(line)
            if m:
                self.dest = m.group("DEST")
                line = m.group("REST")
            arg_list = shlex.split(line)
        self.arg_list = arg_list
        self.action = arg_list[0]
        self.type = arg_list[1] if len(arg_list) > 1 else None

    def fields(self, state):
        out = []
        for arg in self.arg_list[2:]:
            m = ARG_RE.match(arg)
            if not m:
                raise Exception("Unparseable argument: %s" % arg)
            value = m.group("VALUE")
            if m.group("OPER") == "@":
                if re.match(r"\d+$", value):
                    value = state.commands[int(value)]
                elif re.match(VAR_NAME + "$", value):
                    value = state.vars[value]
                else:
                    raise Exception("Invalid reference: %s" % value)
            out.append((m.group("FIELD"), value))
        return out

    def __str__(self):
        return " ".join(self.arg_list)


class Obj:
    def __init__(self, data, connect, die):
        self.data = data
        self.connect = connect
        self.die = die
        self.session = None
        data.setdefault("annotations", {})
        data.setdefault("annotation_links", {})

    # -- TxAction.class_name / obj_id / instance (obj.py lines 138-169)
    def klass(self, cmd):
        if cmd.type is None:
            raise self.die(102, "No object argument provided. Use e.g. 'Image:123'")
        kls = cmd.type.split(":")[0]
        kls = kls[:-1] if kls.endswith("I") else kls
        if kls not in FIELDS and kls not in ("Image", "Project", "Dataset", "Screen", "Plate"):
            raise self.die(102, "No class named '%sI'" % kls)
        return kls

    def obj_id(self, cmd):
        parts = cmd.type.split(":")
        try:
            return int(parts[1])
        except Exception:
            return None

    def table(self, kls):
        return {"MapAnnotation": "annotations", "Image": "images", "Project": "projects", "Dataset": "datasets",
                "Screen": "screens", "Plate": "plates"}.get(kls, "annotation_links")

    def lookup(self, proxy):
        """query.get(kls, id, {"omero.group": "-1"}): the object, or None."""
        kls, _, oid = proxy.partition(":")
        o = self.data.get(self.table(kls), {}).get(oid)
        if o is None or (self.table(kls) in ("annotations", "annotation_links") and o.get("class") != kls):
            return None
        return o

    def conn(self, args):
        if self.session is None:
            self.session = self.connect(args)
        return self.session

    # -- NewObjectTxAction (obj.py lines 172-209)
    def new(self, args, state, cmd):
        session = self.conn(args)
        kls = self.klass(cmd)
        if kls not in FIELDS:
            raise NotImplementedError("the OMERO CLI stand-in only creates MapAnnotations and annotation links")
        obj = {"class": kls, "owner": session["user"], "group": session["group"]}
        completed = []
        for field, value in cmd.fields(state):
            if field not in FIELDS[kls]:
                # getattr(obj, "set<Field>") on an omero.model object: an AttributeError traceback.
                raise AttributeError("'%sI' object has no attribute 'set%s'" % (kls, field[0].upper() + field[1:]))
            obj[field] = value
            completed.append(field)
        missing = sorted(f for f, nullable in FIELDS[kls].items() if not nullable and f not in completed)
        if missing:
            raise self.die(103, "required arguments: %s" % ", ".join(missing))
        if kls == "MapAnnotation":
            obj["map"] = []
        else:
            self.check_link(kls, obj)
        self.data["next_id"] += 1
        oid = str(self.data["next_id"])
        self.data[self.table(kls)][oid] = obj
        state.set_value("%s:%s" % (kls, oid), dest=cmd.dest)

    def check_link(self, kls, link):
        """What saveAndReturnObject refuses for a link: a parent or child that does not exist, or
        the same (parent, child, owner) twice (the links' unique constraint)."""
        parent_type = LINK_PARENTS[kls][0]
        for role, value, want in (("parent", link["parent"], parent_type), ("child", link["child"], "MapAnnotation")):
            if value.partition(":")[0] != want or self.lookup(value) is None:
                raise self.die(336, "Failed to create %s - ome.conditions.ValidationException: %s %s not found" % (kls, role, value))
        for other in self.data["annotation_links"].values():
            if other["class"] == kls and (other["parent"], other["child"], other["owner"]) == (link["parent"], link["child"], link["owner"]):
                raise self.die(336, "Failed to create %s - ome.conditions.ValidationException: could not execute batch; "
                                    "duplicate key value violates unique constraint" % kls)

    # -- NonFieldTxAction.go (obj.py lines 251-268)
    def existing(self, args, cmd):
        self.conn(args)
        kls = self.klass(cmd)
        oid = self.obj_id(cmd)
        if oid is None:
            raise self.die(334, "No id given for %s. Use e.g. '%s:123'" % (kls, kls))
        o = self.lookup("%s:%s" % (kls, oid))
        if o is None:
            raise self.die(334, "No object found: %s:%s" % (kls, oid))
        return kls, oid, o

    def field(self, kls, oid, o, name):
        if kls == "MapAnnotation" and name in FIELDS[kls]:
            return o.get("map") if name == "mapValue" else o.get(name)
        if kls in LINK_PARENTS and name in ("parent", "child"):
            return o[name]
        if name == "id":
            return int(oid)
        raise AttributeError("'%sI' object has no attribute '%s'" % (kls, name))

    def mapping(self, kls, oid, o, name):
        """The field map-set and map-get iterate over: only a list of NamedValues can be."""
        current = self.field(kls, oid, o, name)
        if not isinstance(current, list):
            raise TypeError("'%s' object is not iterable" % type(current).__name__)
        return current

    # -- MapSetTxAction (obj.py lines 351-381)
    def map_set(self, args, state, cmd):
        kls, oid, o = self.existing(args, cmd)
        argc = len(cmd.arg_list)
        if argc not in (4, 5):
            raise self.die(335, "usage: map-set OBJ FIELD KEY [VALUE]")
        current = self.mapping(kls, oid, o, cmd.arg_list[2])
        if argc == 4:
            name = cmd.arg_list[3]
            o["map"] = [nv for nv in current if nv[0] != name]
        else:
            name, value = cmd.arg_list[3:]
            for nv in current:
                if nv[0] == name:
                    nv[1] = value
                    break
            else:
                current.append([name, value])
        state.set_value("%s:%s" % (kls, oid), dest=cmd.dest)

    # -- MapGetTxAction (obj.py lines 384-402): the last pair of that name wins; None when absent.
    def map_get(self, args, state, cmd):
        kls, oid, o = self.existing(args, cmd)
        if len(cmd.arg_list) != 4:
            raise self.die(335, "usage: map-get OBJ FIELD KEY")
        value = None
        for nv in self.mapping(kls, oid, o, cmd.arg_list[2]):
            if nv[0] == cmd.arg_list[3]:
                value = nv[1]
        state.set_value(value, dest=cmd.dest)

    # -- ObjGetTxAction (obj.py lines 417-489), for one field.
    def get(self, args, state, cmd):
        kls, oid, o = self.existing(args, cmd)
        if len(cmd.arg_list) not in (2, 3):
            raise self.die(335, "usage: get OBJ [FIELD]")
        if len(cmd.arg_list) == 2:
            raise NotImplementedError("the OMERO CLI stand-in answers `obj get` for one field only")
        name = cmd.arg_list[2]
        try:
            current = self.field(kls, oid, o, name)
        except AttributeError:
            # upstream dies with the AttributeError's args, a tuple, printed as such
            raise self.die(336, str(("Unknown field '%s' for %s:%s" % (name, kls, oid),)))
        if current is None:
            proxy = ""
        elif isinstance(current, list):
            proxy = ",".join("(%s,%s)" % (k, v) for k, v in current)
        else:
            proxy = current
        state.set_value(proxy, dest=cmd.dest)


def process(args, data, connect, die, err, after_action=lambda done: None):
    """ObjControl.process and parse (obj.py lines 635-693): every line is parsed first, then the
    actions run in order; each is saved on its own, so a failing one leaves the earlier ones done."""
    state = TxState()
    commands = []
    if not args.command:
        if not args.file:
            raise die(100, "No command provided")
        try:
            with open(args.file) as f:
                for line in f:
                    line = line.strip()
                    if line and not line.startswith("#"):
                        commands.append(TxCmd(line=line))
        except IOError:
            raise die(337, "Cannot read file")
    else:
        if args.file:
            err("Ignoring %s" % args.file)
        commands.append(TxCmd(arg_list=[args.command, args.Class] + args.fields))
    obj = Obj(data, connect, die)
    actions = {"new": obj.new, "map-set": obj.map_set, "map-get": obj.map_get, "get": obj.get}
    for cmd in commands:
        if cmd.action not in COMMANDS:
            raise die(100, "Unknown command: %s" % cmd)
    for cmd in commands:
        if cmd.action not in actions:
            raise NotImplementedError("the OMERO CLI stand-in does not implement `obj %s`" % cmd.action)
        state.add()
        actions[cmd.action](args, state, cmd)
        after_action(len(state.commands))
