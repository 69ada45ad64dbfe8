"""Stand-in for the plugin's genquery.py, answering from the stand-in server's delay queue only.

Supports what the rules ask: columns RULE_EXEC_ID, RULE_EXEC_NAME, RULE_EXEC_TIME,
RULE_EXEC_FREQUENCY, RULE_EXEC_USER_NAME and conditions `COL like '%text%'` / `COL = 'text'`
joined by `and`. Anything else raises, as a catalog error would.
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

_COLUMNS = {
    'RULE_EXEC_ID': 'id',
    'RULE_EXEC_NAME': 'name',
    'RULE_EXEC_TIME': 'exe_time',
    'RULE_EXEC_FREQUENCY': 'frequency',
    'RULE_EXEC_USER_NAME': 'user',
}
_CONDITION = re.compile(r"^\s*([A-Z_]+)\s+(like|=)\s+'((?:[^']|'')*)'\s*$", re.IGNORECASE)


def _matcher(condition):
    tests = []
    for part in re.split(r'\s+and\s+', condition.strip(), flags=re.IGNORECASE) if condition.strip() else []:
        m = _CONDITION.match(part)
        if not m or m.group(1) not in _COLUMNS:
            raise RuntimeError('[iRods__Error__Code:-806000] unsupported condition in stand-in: ' + part)
        field, op, text = _COLUMNS[m.group(1)], m.group(2).lower(), m.group(3).replace("''", "'")
        if op == 'like':
            pattern = re.compile('^' + '.*'.join(re.escape(p) for p in text.split('%')) + '$', re.DOTALL)
            tests.append(lambda row, f=field, p=pattern: p.match(str(row[f])) is not None)
        else:
            tests.append(lambda row, f=field, t=text: str(row[f]) == t)
    return lambda row: all(t(row) for t in tests)


class Query(object):
    def __init__(self, callback, columns, conditions='', output=AS_TUPLE, offset=0, limit=None, **_ignored):
        # **_ignored: case_sensitive, options, and in 5.0.1 parser / order_by.
        self._server = callback._server  # the stand-in's callback knows its server
        self.columns = [c.strip() for c in columns.split(',')] if isinstance(columns, str) else list(columns)
        for c in self.columns:
            if c not in _COLUMNS:
                raise RuntimeError('[iRods__Error__Code:-806000] unsupported column in stand-in: ' + c)
        self.conditions = conditions
        self.output = output
        self.offset = offset
        self.limit = limit

    def __iter__(self):
        keep = _matcher(self.conditions)
        rows = [r for r in self._server.catalog_rules() if keep(r)][self.offset:]
        if self.limit is not None:
            rows = rows[:self.limit]
        for r in rows:
            values = [str(r[_COLUMNS[c]]) for c in self.columns]
            if self.output == AS_DICT:
                yield dict(zip(self.columns, values))
            elif self.output == AS_LIST:
                yield values
            else:
                yield values[0] if len(values) == 1 else tuple(values)
