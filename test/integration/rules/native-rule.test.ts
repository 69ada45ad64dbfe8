import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LANDED_MARK_ATTRIBUTE } from '../../../src/intake/landed-mark.js';
import { parseRuleBase, RuleSyntaxError, walk, type Node, type RuleDefinition } from '../../support/rule-language.js';

// No iRODS server runs here. The file is parsed with a port of the server's parser
// (test/support/rule-language.ts), and what the server would only find out at run time (a call
// to a rule with the wrong number of arguments matches no rule, silently, and errorcode() hides
// it) is checked against the sources of iRODS 4.3.5 and 5.0.2. The real loader, built from those
// sources, was run on this file too: rules/README.md, "Checked against the server's parser".

const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../rules/native/irods_omero_agent.re');
const source = readFileSync(file, 'utf8');

/**
 * The functions the rule language defines itself (getSystemFunctions, functions.cpp 2636ff., the
 * same 107 in 4.3.5 and 5.0.2). A key after `.` that is one of them is read as a call of it, and
 * the loader's type check then refuses the whole rule base: the previous file's
 * `*data_obj_inp.collection` did exactly that.
 */
const SYSTEM_FUNCTIONS = new Set(
  (
    'do eval evalrule applyAllRules errorcodea errorcode errormsga errormsg getstdout getstderr let match if2 if for while ' +
    'foreach foreach2 break succeed fail failmsg assign lmsg listvars listcorerules listapprules listextrules time timestr str ' +
    'datetime timestrf datetimef double int bool list elem setelem hd tl cons size type arity log exp floor ceiling abs max min ' +
    'average delayExec remoteExec writeLine writeString triml trimr strlen substr split error state execCmdArg query unspeced ' +
    'msiCheckStringForSystem collectionSpider path collection getGlobalSessionId setGlobalSessionId temporaryStorage assignStr ' +
    'ifExec forExec whileExec forEachExec msiSegFault'
  ).split(' '),
);

/**
 * Microservices the file may call, with their parameter counts, present in both 4.3.5 and 5.0.2:
 * server/re/include/irods/reAction.hpp (msiModAVUMetadata 6, msiGetSystemTime 2) and
 * plugins/microservices/src/get_open_data_obj_l1desc_index.cpp (2).
 */
const MICROSERVICES: Readonly<Record<string, number>> = {
  msiModAVUMetadata: 6,
  msiGetSystemTime: 2,
  msi_get_open_data_obj_l1desc_index: 2,
};

/**
 * The API PEPs and what iRODS passes them: the instance name, the connection (*COMM), then the
 * API's arguments after rsComm — lib/api/include/irods/apiTable.hpp (put: dataObjInp, bytesBuf,
 * portalOprOut; create/open/phy_path_reg: dataObjInp; close: openedDataObjInp; rename:
 * dataObjCopyInp; copy: dataObjCopyInp, transferStat) and plugins/api/src/replica_open.cpp
 * (dataObjInp, bytesBuf out) / replica_close.cpp (bytesBuf), the same in both tags. A PEP with
 * another arity never fires.
 */
const PEP_ARITY: Readonly<Record<string, number>> = {
  pep_api_data_obj_put_post: 5,
  pep_api_data_obj_create_post: 3,
  pep_api_data_obj_open_post: 3,
  pep_api_replica_open_post: 4,
  pep_api_data_obj_close_post: 3,
  pep_api_replica_close_post: 3,
  pep_api_phy_path_reg_post: 3,
  pep_api_data_obj_rename_post: 3,
  pep_api_data_obj_copy_post: 4,
};

/** The right side of `*kvp.key`: parsed as a call of `key` with no arguments, but a key. */
function keyNodes(rules: readonly RuleDefinition[]): Set<Node> {
  const keys = new Set<Node>();
  for (const node of walk(rules.flatMap((r) => r.body))) {
    const right = node.kind === 'op' && node.op === '.' ? node.args[1] : undefined;
    if (right?.kind === 'apply' && right.fn.kind === 'name' && right.args.length === 0) keys.add(right);
  }
  return keys;
}

/** Calls by name, with their argument counts, in a rule base. */
function calls(rules: readonly RuleDefinition[]): { rule: string; name: string; arity: number }[] {
  const keys = keyNodes(rules);
  const out: { rule: string; name: string; arity: number }[] = [];
  for (const rule of rules) {
    for (const node of walk(rule.body)) {
      if (node.kind === 'apply' && node.fn.kind === 'name' && !keys.has(node)) out.push({ rule: rule.name, name: node.fn.name, arity: node.args.length });
    }
  }
  return out;
}

/** The keys read with `*kvp.key`. */
function fieldKeys(rules: readonly RuleDefinition[]): string[] {
  return [...keyNodes(rules)].map((n) => (n.kind === 'apply' && n.fn.kind === 'name' ? n.fn.name : ''));
}

/** Problems the server would meet only at run time, or in its type check. */
function runtimeProblems(rules: readonly RuleDefinition[]): string[] {
  const problems: string[] = [];
  const defined = new Map<string, number>();
  for (const r of rules) {
    if (defined.has(r.name)) problems.push(`${r.name} is defined twice (the engine runs one definition)`);
    defined.set(r.name, r.params.length);
  }
  for (const c of calls(rules)) {
    const expected = defined.get(c.name) ?? MICROSERVICES[c.name];
    if (expected !== undefined) {
      if (expected !== c.arity) problems.push(`${c.rule} calls ${c.name} with ${c.arity} arguments, it takes ${expected}`);
    } else if (c.name === 'regex') {
      problems.push(`${c.rule}: "not like regex" is read as "not like" and a call of regex (the tokenizer sees 10 characters)`);
    } else if (!SYSTEM_FUNCTIONS.has(c.name)) {
      problems.push(`${c.rule} calls ${c.name}, which is neither defined here nor a microservice of 4.3.5 and 5.0.2`);
    }
  }
  for (const key of fieldKeys(rules)) {
    if (SYSTEM_FUNCTIONS.has(key)) problems.push(`.${key} names a system function: the type check reads it as a call and refuses the rule base`);
  }
  return problems;
}

const rules = parseRuleBase(source);
const byName = new Map(rules.map((r) => [r.name, r]));

describe('native rule file', () => {
  it('parses as the server parser reads it: 5 settings, 8 helper rules, 9 PEPs (the real loader counted 22 too)', () => {
    expect(rules.filter((r) => r.kind === 'FUNC').map((r) => r.name)).toEqual([
      'ioa_watch',
      'ioa_ignore_users',
      'ioa_archive_regex',
      'ioa_mark_seconds',
      'ioa_mark_attribute',
    ]);
    expect(rules).toHaveLength(22);
  });

  it('defines each PEP with the arity iRODS 4.3.5 and 5.0.2 call it with', () => {
    const peps = Object.fromEntries(rules.filter((r) => r.name.startsWith('pep_')).map((r) => [r.name, r.params.length]));
    expect(peps).toEqual(PEP_ARITY);
  });

  it('calls only rules it defines, system functions and microservices of both versions, each with the right arity', () => {
    expect(runtimeProblems(rules)).toEqual([]);
  });

  it('swallows every error in every PEP body with errorcode()', () => {
    for (const rule of rules.filter((r) => r.name.startsWith('pep_'))) {
      expect(rule.body, rule.name).toHaveLength(1);
      const action = rule.body[0]?.action as Node;
      expect(action.kind === 'op' && action.op === 'assign', rule.name).toBe(true);
      const value = action.kind === 'op' ? action.args[1] : undefined;
      expect(value?.kind === 'apply' && value.fn.kind === 'name' && value.fn.name, rule.name).toBe('errorcode');
    }
  });

  it('marks the archive with the attribute the agent polls, as the connection user, and talks to nobody', () => {
    expect(byName.get('ioa_mark_attribute')?.body[0]?.action).toEqual({ kind: 'string', value: LANDED_MARK_ATTRIBUTE, vars: [] });
    const marks = calls(rules).filter((c) => c.name === 'msiModAVUMetadata');
    expect(marks).toEqual([{ rule: 'ioa_mark', name: 'msiModAVUMetadata', arity: 6 }]);
    expect(source).toContain('msiModAVUMetadata("-d", *path, "set", ioa_mark_attribute, *now, "*user#*zone")');
    expect(source).toContain('*user = *comm.user_user_name;');
    const names = calls(rules).map((c) => c.name);
    for (const outward of ['msiCurlPost', 'msiCurlGet', 'msiExecCmd', 'delayExec', 'remoteExec', 'msiSendMail']) expect(names).not.toContain(outward);
  });
});

describe('the parser port (test/support/rule-language.ts) agrees with the real loader', () => {
  // Each case was loaded by the loader built from the iRODS 4.3.5 sources (rules/README.md);
  // `ok` means it loaded, `parse` that it answered RE_PARSER_ERROR (-1201000).
  const cases: [string, string, 'ok' | 'parse'][] = [
    ['no semicolon before }', 'foo(*a) {\n  writeLine("serverLog", "x")\n}\n', 'ok'],
    ['settings as constant rules', 'foo = 1\nbar = list("a", "b")\n', 'ok'],
    ['a missing }', 'foo(*a) {\n  if (*a) {\n    writeLine("serverLog", "x");\n}\n', 'parse'],
    ['an unterminated string', 'foo(*a) {\n  *x = "abc\n}\n', 'parse'],
    ['a dangling operator', 'foo(*a) {\n  *x = 1 +;\n}\n', 'parse'],
    ['a } too many', 'foo(*a) {\n  *x = 1;\n}\n}\n', 'parse'],
    ['else without if', 'foo(*a) {\n  else { *x = 1; }\n}\n', 'parse'],
    ['two strings side by side (two actions)', 'foo(*a) {\n  *x = "a" "b";\n}\n', 'ok'],
    ['if / else if / else', 'foo(*a) {\n  if (*a == 1) { *x = 1; } else if (*a == 2) { *x = 2; } else { *x = 3; }\n}\n', 'ok'],
    ['foreach in', 'foo(*a) {\n  foreach (*i in list(1, 2)) { *x = *i; }\n}\n', 'ok'],
    ['a keyword called as a function', 'foo(*a) {\n  *x = in(1);\n}\n', 'parse'],
    ['a missing )', 'foo(*a) {\n  writeLine("serverLog", "x";\n}\n', 'parse'],
    ['not like regex', 'foo(*a) {\n  *x = *a not like regex "b.*";\n}\n', 'ok'],
    ['a recovery action', 'foo(*a) {\n  writeLine("serverLog", "x") ::: writeLine("serverLog", "y");\n}\n', 'ok'],
    ['a ; after a rule', 'foo(*a) {\n  *x = 1;\n};\n', 'parse'],
  ];
  it.each(cases)('%s: %s', (_what, text, real) => {
    let verdict: 'ok' | 'parse' = 'ok';
    try {
      parseRuleBase(text);
    } catch (err) {
      if (!(err instanceof RuleSyntaxError) || err.reason !== 'parse') throw err;
      verdict = 'parse';
    }
    expect(verdict).toBe(real);
  });

  it('reports where the parse failed', () => {
    expect(() => parseRuleBase('foo(*a) {\n  *x = 1;\n}\nbar(*b) {\n  *y = (1;\n}\n')).toThrow(/line 5/);
  });

  it('finds what the real loader refused in the previous file, and the traps it accepts', () => {
    // The real loader: "type error: parameter type error in collection" for this line of the old file.
    expect(runtimeProblems(parseRuleBase('f(*inp) {\n  *ec = errorcode(*inp.collection);\n}\n'))).toEqual([
      '.collection names a system function: the type check reads it as a call and refuses the rule base',
    ]);
    expect(runtimeProblems(parseRuleBase('f(*a, *b) {\n  *x = 1;\n}\ng(*a) {\n  f(*a);\n}\n'))).toEqual(['g calls f with 1 arguments, it takes 2']);
    expect(runtimeProblems(parseRuleBase('g(*a) {\n  *x = *a not like regex "b.*";\n}\n'))).toEqual([
      'g: "not like regex" is read as "not like" and a call of regex (the tokenizer sees 10 characters)',
    ]);
    expect(runtimeProblems(parseRuleBase('g(*a) {\n  msiCurlPost(*a, *b, *c);\n}\n'))).toEqual([
      'g calls msiCurlPost, which is neither defined here nor a microservice of 4.3.5 and 5.0.2',
    ]);
  });
});
