"""Stand-in for the plugin's genquery.py, answering from the stand-in server's catalog.

Models the GenQuery1 the rules ask, over three catalog tables: the delay queue (RULE_EXEC_*),
collections with their AVUs (COLL_NAME, META_COLL_ATTR_*), data objects with their AVUs
(COLL_NAME, DATA_NAME, META_DATA_ATTR_*). Conditions: `COL = 'x'`, `COL like 'x%'` and
`COL in ('x', 'y')`, joined by `and`. A column the stand-in does not model raises, as a catalog
error would. Rows are distinct, as GenQuery1's are.
"""
import re


class row_return_type(object):
    def __init__(self):
        raise NotImplementedError


# Classes, not numbers, as in the plugin's genquery.py (4.3.4.0 and 5.0.1).
class AS_DICT(row_return_type):
    pass


class AS_LIST(row_return_type):
    pass


class AS_TUPLE(row_return_type):
    pass


_RULE_COLUMNS = {
    'RULE_EXEC_ID': 'id',
    'RULE_EXEC_NAME': 'name',
    'RULE_EXEC_TIME': 'exe_time',
    'RULE_EXEC_FREQUENCY': 'frequency',
    'RULE_EXEC_USER_NAME': 'user',
    'RULE_EXEC_PRIORITY': 'priority',
}
_COLL_COLUMNS = {'COLL_NAME': 'coll', 'META_COLL_ATTR_NAME': 'attr', 'META_COLL_ATTR_VALUE': 'value',
                 'META_COLL_ATTR_UNITS': 'units'}
_DATA_COLUMNS = {'COLL_NAME': 'coll', 'DATA_NAME': 'name', 'META_DATA_ATTR_NAME': 'attr',
                 'META_DATA_ATTR_VALUE': 'value', 'META_DATA_ATTR_UNITS': 'units'}
_LITERAL = r"'((?:[^']|'')*)'"
_CONDITION = re.compile(r"^\s*([A-Z_]+)\s+(like|=|in)\s+(" + _LITERAL + r"|\(\s*" + _LITERAL + r"(?:\s*,\s*" + _LITERAL + r")*\s*\))\s*$",
                        re.IGNORECASE)


def _error(message):
    return RuntimeError('[iRods__Error__Code:-806000] stand-in GenQuery: ' + message)


def _literals(text):
    return [m.replace("''", "'") for m in re.findall(_LITERAL, text)]


def _parse(conditions):
    parsed = []
    for part in re.split(r"\s+and\s+(?=(?:[^']*'[^']*')*[^']*$)", conditions.strip(), flags=re.IGNORECASE) if conditions.strip() else []:
        m = _CONDITION.match(part)
        if not m:
            raise _error('unsupported condition: ' + part)
        parsed.append((m.group(1), m.group(2).lower(), _literals(m.group(3))))
    return parsed


def _test(op, values, actual):
    if op == 'like':
        pattern = re.compile('^' + '.*'.join(re.escape(p) for p in values[0].split('%')) + '$', re.DOTALL)
        return pattern.match(actual) is not None
    return actual in values


class Query(object):
    def __init__(self, callback, columns, conditions='', output=AS_TUPLE, offset=0, limit=None, **_ignored):
        # **_ignored: case_sensitive, options, and in 5.0.1 parser / order_by.
        self._server = callback._server  # the stand-in's callback knows its server
        if self._server.fail_genquery:
            raise RuntimeError('[iRods__Error__Code:-806000] stand-in: catalog unavailable')
        self.columns = [c.strip() for c in columns.split(',')] if isinstance(columns, str) else list(columns)
        self.conditions = _parse(conditions)
        self.output = output
        self.offset = offset
        self.limit = limit
        named = set(self.columns) | set(c for c, _, _ in self.conditions)
        for table in (_RULE_COLUMNS, _DATA_COLUMNS, _COLL_COLUMNS):
            if named <= set(table) and (table is not _DATA_COLUMNS or named & {'DATA_NAME', 'META_DATA_ATTR_NAME',
                                                                               'META_DATA_ATTR_VALUE', 'META_DATA_ATTR_UNITS'}):
                self._table = table
                break
        else:
            raise _error('columns the stand-in does not model together: ' + ', '.join(sorted(named)))

    def _rows(self):
        if self._table is _RULE_COLUMNS:
            return [{k: str(r[f]) for k, f in _RULE_COLUMNS.items()} for r in self._server.catalog_rules()]
        rows = []
        catalog = self._server.catalog
        if self._table is _COLL_COLUMNS:
            for path, avus in catalog['collections'].items():
                for a, v, u in (avus or [('', '', '')]):
                    rows.append({'COLL_NAME': path, 'META_COLL_ATTR_NAME': a, 'META_COLL_ATTR_VALUE': v, 'META_COLL_ATTR_UNITS': u})
        else:
            for path, avus in catalog['data_objects'].items():
                coll, name = path.rsplit('/', 1)
                for a, v, u in (avus or [('', '', '')]):
                    rows.append({'COLL_NAME': coll, 'DATA_NAME': name, 'META_DATA_ATTR_NAME': a,
                                 'META_DATA_ATTR_VALUE': v, 'META_DATA_ATTR_UNITS': u})
        return rows

    def __iter__(self):
        seen = set()
        selected = []
        for row in self._rows():
            if all(_test(op, values, row[col]) for col, op, values in self.conditions):
                values = tuple(row[c] for c in self.columns)
                if values not in seen:
                    seen.add(values)
                    selected.append(values)
        selected = selected[self.offset:]
        if self.limit is not None:
            selected = selected[:self.limit]
        for values in selected:
            if self.output is AS_DICT:
                yield dict(zip(self.columns, values))
            elif self.output is AS_LIST:
                yield list(values)
            else:
                yield values[0] if len(values) == 1 else values
