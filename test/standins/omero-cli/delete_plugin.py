"""`omero delete` as omero-py's src/omero/plugins/delete.py (DeleteControl, a GraphControl of
src/omero/cli.py) and the server's Delete2 (omero-blitz omero/cmd/graphs/Delete2I.java) do it,
for the stand-in: the arguments, what is printed where, the exit statuses, and what the server
deletes with each target. README.md cites the lines behind each shape.
"""

import sys

# DeleteControl.default_exclude: kept unless --include names them.
DEFAULT_EXCLUDE = {"TagAnnotation", "TermAnnotation", "FileAnnotation"}
# The full class names of the ids printed under "Deleted objects" (sorted by them, then shortened).
FULL_NAME = {
    "Image": "ome.model.core.Image",
    "Fileset": "ome.model.fs.Fileset",
    "Dataset": "ome.model.containers.Dataset",
    "Project": "ome.model.containers.Project",
    "Plate": "ome.model.screen.Plate",
    "Screen": "ome.model.screen.Screen",
    "MapAnnotation": "ome.model.annotations.MapAnnotation",
}
TABLE = {"Image": "images", "Dataset": "datasets", "Project": "projects", "Plate": "plates", "Screen": "screens"}


class GraphArg:
    """GraphArg (cli.py): `Class:1,2,5-7`; a range needs --force; `A/B:1` is a SkipHead. Its
    repr is "argument", so argparse refuses a bad one with "invalid argument value"."""

    def __call__(self, arg):
        return graph_arg(arg)

    def __repr__(self):
        return "argument"


def graph_arg(arg):
    try:
        parts = arg.split(":", 1)
        assert len(parts) == 2
        assert "+" not in parts[0]
        graph = parts[0].lstrip("/").split("/")
        ids, needs_force = [], False
        for part in parts[1].split(","):
            if "-" in part:
                needs_force = True
                low, high = map(int, part.split("-"))
                if high < low:
                    raise ValueError("Bad range: %s" % arg)
                ids.extend(range(low, high + 1))
            else:
                ids.append(int(part))
        return (graph, ids, needs_force)
    except Exception:
        raise ValueError("Bad object: %s" % arg)


def add_parser(sub, func):
    """GraphControl._configure (cli.py): no login arguments of its own (the top-level parser's apply)."""
    delete = sub.add_parser("delete")
    delete.add_argument("--wait", type=int, default=-1)
    delete.add_argument("--include", metavar="CLASS", nargs="+", type=lambda s: s.split(","), action="append")
    delete.add_argument("--exclude", metavar="CLASS", nargs="+", type=lambda s: s.split(","), action="append")
    delete.add_argument("--ordered", action="store_true")
    delete.add_argument("--list", action="store_true")
    delete.add_argument("--list-details", action="store_true")
    delete.add_argument("--report", action="store_true")
    delete.add_argument("--dry-run", action="store_true")
    delete.add_argument("--force", action="store_true")
    delete.add_argument("obj", nargs="*", type=GraphArg())
    delete.set_defaults(func=func)


def order_and_range_ids(ids):
    """BaseControl._order_and_range_ids (cli.py): 1,2 / 1-3 / 1-3,7."""
    ids = sorted(ids)
    out, run = [], []
    for i in ids:
        if run and i != run[-1] + 1:
            out.append(run)
            run = []
        run.append(i)
    if run:
        out.append(run)
    text = ""
    for g in out:
        text += str(g[0]) + ("-%d" % g[-1] if len(g) > 2 else ",%d" % g[-1] if len(g) == 2 else "") + ","
    return text.rstrip(",")


class Graph:
    """What Delete2 deletes with its targets in the stand-in's model: an Image takes its Fileset
    (when no other image uses it), its place in Datasets and Plates and its annotation links; a
    Dataset (Screen) takes the Images (Plates) no other Dataset (Screen) holds, a Project the
    Datasets no other Project holds, a Plate its Images; an annotation goes when nothing links it
    any more, unless its class is excluded."""

    def __init__(self, data, excluded):
        self.data = data
        self.excluded = excluded
        self.doomed = {k: set() for k in FULL_NAME}

    def image(self, i):
        if i in self.doomed["Image"]:
            return
        self.doomed["Image"].add(i)

    def _orphans(self, kind, table, parent, children):
        """The children of `parent` that no other container of its kind, itself kept, holds."""
        others = [o for k, o in self.data[table].items() if k != parent and k not in self.doomed[kind]]
        return [c for c in self.data[table][parent][children] if not any(c in o[children] for o in others)]

    def dataset(self, d):
        self.doomed["Dataset"].add(d)
        for i in self._orphans("Dataset", "datasets", d, "images"):
            self.image(i)

    def project(self, p):
        self.doomed["Project"].add(p)
        for d in self._orphans("Project", "projects", p, "datasets"):
            self.dataset(d)

    def plate(self, p):
        self.doomed["Plate"].add(p)
        for i in self.data["plates"][p]["images"]:
            self.image(i)

    def screen(self, s):
        self.doomed["Screen"].add(s)
        for p in self._orphans("Screen", "screens", s, "plates"):
            self.plate(p)

    def finish(self):
        data = self.data
        images = self.doomed["Image"]
        for f, fs in data["filesets"].items():
            users = [i for i, img in data["images"].items() if img["fileset"] == f]
            if users and all(i in images for i in users):
                self.doomed["Fileset"].add(f)
        doomed_objects = {"%s:%s" % (kls, i) for kls in TABLE for i in self.doomed[kls]}
        links = data.get("annotation_links", {})
        gone_links = {k for k, l in links.items() if l["parent"] in doomed_objects}
        for a, ann in data.get("annotations", {}).items():
            linked = [k for k, l in links.items() if l["child"] == "%s:%s" % (ann["class"], a)]
            if linked and all(k in gone_links for k in linked) and ann["class"] not in self.excluded:
                self.doomed.setdefault(ann["class"], set()).add(a)
        self.gone_links = gone_links

    def apply(self):
        data = self.data
        for kls, table in TABLE.items():
            for oid in self.doomed[kls]:
                data[table].pop(oid, None)
        for f in self.doomed["Fileset"]:
            data["filesets"].pop(f, None)
        for d in data["datasets"].values():
            d["images"] = [i for i in d["images"] if i not in self.doomed["Image"]]
        for p in data["projects"].values():
            p["datasets"] = [d for d in p["datasets"] if d not in self.doomed["Dataset"]]
        for p in data["plates"].values():
            p["images"] = [i for i in p["images"] if i not in self.doomed["Image"]]
        for s in data["screens"].values():
            s["plates"] = [p for p in s["plates"] if p not in self.doomed["Plate"]]
        for k in self.gone_links:
            data["annotation_links"].pop(k, None)
        for a in self.doomed.get("MapAnnotation", ()):
            data["annotations"].pop(a, None)


def run(args, data, connect, out, err, die, after_connect):
    """GraphControl.main_method + CmdControl._process_request/print_report (cli.py)."""
    connect(args)
    after_connect()
    if args.list or args.list_details:
        out("\n".join(sorted(["Dataset", "Fileset", "Image", "Plate", "Project", "Screen", "Annotation"])))
        return
    if not args.obj:
        die(440, "no object targets supplied for graph operation")
    if any(len(graph) > 1 for graph, _, _ in args.obj):
        raise NotImplementedError("the OMERO CLI stand-in does not delete through a SkipHead (Class/Class:id)")
    needs_force = any(f for _, _, f in args.obj)
    dry_run = (args.dry_run or needs_force) and not args.force
    include = {c for group in args.include or [] for part in group for c in part}
    excluded = (DEFAULT_EXCLUDE | {c for group in args.exclude or [] for part in group for c in part}) - include
    targets = {}
    for graph, ids, _ in args.obj:  # combine_commands: one request for every simple target
        targets.setdefault(graph[0], []).extend(ids)
    description = "omero.cmd.Delete2 %s " % " ".join("%s:%s" % (k, order_and_range_ids(v)) for k, v in targets.items())
    out(description, newline=False)
    # Delete2I.step(0): GraphTraversal.objectsToCIs fails the whole request when a target is missing.
    for kls, ids in targets.items():
        table = TABLE.get(kls)
        if table is None or any(str(i) not in data[table] for i in ids):
            err("failed: 'graph-fail'\nfailed: cannot read all the specified objects of class %s" % FULL_NAME.get(kls, kls))
            return
    graph = Graph(data, excluded)
    for kls, ids in targets.items():
        for i in ids:
            getattr(graph, kls.lower())(str(i))
    graph.finish()
    if not dry_run:
        graph.apply()
    if dry_run:
        out("Dry run performed")
    out("ok")
    if args.report:
        out("Steps: 6")
        out("Elapsed time: 0.042 secs.")
        out("Flags: []")
        deleted = {FULL_NAME[k]: v for k, v in graph.doomed.items() if v and k in FULL_NAME}
        if deleted:
            out("Deleted objects")
            for full in sorted(deleted):
                out("  %s:%s" % (full[full.rfind(".") + 1:], order_and_range_ids([int(i) for i in deleted[full]])))
