/**
 * A port, for CI, of the part of the iRODS native rule language parser that rules/native uses:
 * plugins/rule_engines/irods_rule_language/src/parser.cpp, identical in iRODS 4.3.5 and 5.0.2
 * (line numbers below are of that file). No iRODS server can run here, and a parse error disables
 * a site's whole native rule base, so the .re file is checked against the same tokenizer and the
 * same ordered-choice (PEG) grammar:
 * - tokens: nextTokenRuleGen (160-346) with rulegen=1, the operator table new_ops (13-45, matched
 *   in table order against a window of 10 characters, 264-278) and strings (nextStringBase,
 *   1585-1643: backslash escapes, `*name`/`$name` interpolation, at most 1023 characters);
 * - rules: Rule (373-550: `name(params) { actions }` and `name = expr`), RuleName (552-603),
 *   Metadata (605-633), Actions (650-705), Term (1014-1269: if/while/foreach/for, then operators
 *   by precedence climbing and application), Value (1369-1447);
 * - failure: an alternative that fails resets to where it began (CHOICE/BRANCH, parser.hpp), the
 *   first that succeeds wins; a rule that fails altogether is RE_PARSER_ERROR (parseRuleSet,
 *   3177-3262), reported near the furthest token reached, as context->errloc is.
 * Constructs the file does not use (data types, `extern` declarations, type annotations, the
 * pre-4.0 `|` syntax, GenQuery `SELECT`, `remote`, `delay`, `let`, `match`, path literals,
 * `@` directives) are refused as `unsupported` rather than guessed at. The server's type checker
 * (typing.cpp) is not ported; see rules/README.md for the run of the real loader.
 */

export type TokenType = 'EOS' | 'MISC_OP' | 'OP' | 'LOCAL_VAR' | 'SESSION_VAR' | 'INT' | 'DOUBLE' | 'TEXT' | 'STRING' | 'ERROR';

export interface Token {
  readonly type: TokenType;
  /** Operator or name as written; a string's value with its escapes resolved. */
  readonly text: string;
  readonly offset: number;
  /** Names interpolated in a string (`*x` → `*x`). */
  readonly vars: readonly string[];
}

export type Node =
  | { readonly kind: 'var'; readonly name: string }
  | { readonly kind: 'string'; readonly value: string; readonly vars: readonly string[] }
  | { readonly kind: 'number' | 'bool'; readonly text: string }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'tuple'; readonly items: readonly Node[] }
  | { readonly kind: 'actions'; readonly actions: readonly Action[] }
  | { readonly kind: 'apply'; readonly fn: Node; readonly args: readonly Node[] }
  | { readonly kind: 'op'; readonly op: string; readonly args: readonly Node[] }
  | { readonly kind: 'if'; readonly cond: Node; readonly then: readonly Action[]; readonly else: readonly Action[] }
  | { readonly kind: 'loop'; readonly loop: 'while' | 'foreach' | 'for'; readonly head: readonly Node[]; readonly body: readonly Action[] };

export interface Action {
  readonly action: Node;
  readonly recovery: Node | undefined;
}

export interface RuleDefinition {
  readonly name: string;
  readonly params: readonly string[];
  /** `REL`: a rule with a body; `FUNC`: `name = expression` (the settings). */
  readonly kind: 'REL' | 'FUNC';
  readonly body: readonly Action[];
  readonly offset: number;
}

export class RuleSyntaxError extends Error {
  constructor(
    readonly reason: 'parse' | 'unsupported',
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${message} at line ${line}, column ${column}`);
  }
}

/** new_ops (parser.cpp 13-45): [text, arity, precedence], in the order the tokenizer tries them. */
const OPS: readonly (readonly [string, 1 | 2, number])[] = [
  ['-', 1, 10], ['++', 2, 6], ['+', 2, 6], ['-', 2, 6], ['*', 2, 7], ['/', 2, 7], ['&&', 2, 3], ['%%', 2, 2],
  ['||', 2, 2], ['%', 2, 7], ['<=', 2, 5], ['>=', 2, 5], ['<', 2, 5], ['>', 2, 5], ['==', 2, 4], ['!=', 2, 4],
  ['!', 1, 10], ['like regex', 2, 4], ['not like regex', 2, 4], ['like', 2, 4], ['not like', 2, 4], ['^^', 2, 8],
  ['^', 2, 8], ['.', 2, 8], ['floor', 1, 10], ['ceiling', 1, 10], ['log', 1, 10], ['exp', 1, 10], ['abs', 1, 10],
  ['=', 2, 1], ['@@', 2, 20],
];
/** parser.cpp 104. */
const KEYWORDS = new Set(['in', 'let', 'match', 'with', 'for', 'forExec', 'while', 'whileExec', 'foreach', 'forEachExec', 'if', 'ifExec', 'then', 'else', 'data', 'constructor', 'on', 'or', 'oron']);
const MAX_TOKEN_TEXT_LEN = 1023; // reconstants.hpp
const MIN_PREC = 0;
const APPLICATION_PREC = 20; // the precedence of "@@"

const isAlpha = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z]$/.test(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && /^[0-9]$/.test(c);
const isAlnum = (c: string | undefined): boolean => isAlpha(c) || isDigit(c);

function binaryPrecedence(op: string): number | undefined {
  return OPS.find(([text, arity]) => arity === 2 && text === op)?.[2];
}
function unaryPrecedence(op: string): number | undefined {
  return OPS.find(([text, arity]) => arity === 1 && text === op)?.[2];
}

/** nextTokenRuleGen with rulegen=1 and no path literals, over the whole source. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (type: TokenType, text: string, offset: number, vars: string[] = []) => tokens.push({ type, text, offset, vars });
  for (;;) {
    while (i < source.length && ' \t\r\n'.includes(source[i] as string)) i++;
    const start = i;
    const ch = source[i];
    if (ch === undefined) {
      push('EOS', 'EOS', start);
      return tokens;
    }
    if ('{}[](),@;?'.includes(ch) || (ch === '|' && source[i + 1] !== '|')) {
      push('MISC_OP', ch, start);
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    if ((ch === '-' || ch === '=') && source[i + 1] === '>') {
      push('MISC_OP', `${ch}>`, start);
      i += 2;
      continue;
    }
    if (ch === ':') {
      const triple = source.startsWith(':::', i);
      push('MISC_OP', triple ? ':::' : ':', start);
      i += triple ? 3 : 1;
      continue;
    }
    if ((ch === '*' || ch === '$') && (source[i + 1] === '_' || isAlpha(source[i + 1]))) {
      let j = i + 2;
      while (source[j] === '_' || isAlnum(source[j])) j++;
      push(ch === '*' ? 'LOCAL_VAR' : 'SESSION_VAR', source.slice(i, j), start);
      i = j;
      continue;
    }
    const window = source.slice(i, i + 10);
    const op = OPS.find(([text]) => window.startsWith(text) && (!isAlpha(text[0]) || !isAlnum(window[text.length])));
    if (op) {
      push('OP', op[0], start);
      i += op[0].length;
      continue;
    }
    if (isDigit(ch) || ch === '.') {
      let j = i + 1;
      while (isDigit(source[j]) || source[j] === '.') j++;
      const text = source.slice(i, j);
      push(text.includes('.') ? 'DOUBLE' : 'INT', text, start);
      i = j;
      continue;
    }
    if (ch === '_' || isAlpha(ch) || ch === '~') {
      let j = i + 1;
      while (source[j] === '_' || isAlnum(source[j])) j++;
      push('TEXT', source.slice(i, j), start);
      i = j;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const read = readString(source, i, ch);
      if (!read) {
        push('ERROR', source.slice(i, i + 20), start);
        push('EOS', 'EOS', source.length);
        return tokens;
      }
      push('STRING', read.value, start, read.vars);
      i = read.end;
      continue;
    }
    // Backquoted strings are not used; anything else is N_ERROR.
    push('ERROR', ch, start);
    i++;
  }
}

/** nextStringBase (1585-1643): escapes \n \t \r \0 and \<any>; `*`/`$` + letter starts an interpolation. */
function readString(source: string, begin: number, quote: string): { value: string; vars: string[]; end: number } | undefined {
  let value = '';
  const vars: string[] = [];
  let i = begin + 1;
  while (i < source.length) {
    if (value.length >= MAX_TOKEN_TEXT_LEN) return undefined;
    const c = source[i] as string;
    if (c === '\\') {
      const next = source[i + 1];
      if (next === undefined) return undefined;
      value += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : next === '0' ? '\0' : next;
      i += 2;
      continue;
    }
    if (c === quote) return { value, vars, end: i + 1 };
    if ((c === '*' || c === '$') && isAlpha(source[i + 1])) {
      let j = i + 2;
      while (source[j] === '_' || isAlnum(source[j])) j++;
      vars.push(source.slice(i, j));
    }
    value += c;
    i++;
  }
  return undefined;
}

class Fail extends Error {}

/** Ordered choice over a token array: a failed alternative leaves the position where it was. */
class Parser {
  private pos = 0;
  /** The furthest token any alternative reached: where the server reports the error. */
  private furthest = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly source: string,
  ) {}

  rules(): RuleDefinition[] {
    const rules: RuleDefinition[] = [];
    while (this.peek().type !== 'EOS') {
      const t = this.peek();
      if (t.type === 'MISC_OP' && t.text === '@') this.unsupported('an @ directive', t);
      this.furthest = this.pos;
      try {
        rules.push(this.rule());
      } catch (err) {
        if (!(err instanceof Fail)) throw err;
        // The last token any alternative consumed: where the server's caret points, give or take
        // a character (it reports the stream position after it, or the next queued token's).
        const at = this.tokens[Math.max(0, Math.min(this.furthest - 1, this.tokens.length - 1))] as Token;
        const { line, column } = this.where(at.offset);
        throw new RuleSyntaxError('parse', 'parseRuleSet: error parsing rule', line, column);
      }
    }
    return rules;
  }

  // ---- helpers ---------------------------------------------------------------------------------
  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)] as Token;
  }
  private next(): Token {
    const t = this.peek();
    if (t.type === 'ERROR') this.fail();
    if (this.pos < this.tokens.length - 1) this.pos++;
    this.furthest = Math.max(this.furthest, this.pos);
    return t;
  }
  private fail(): never {
    this.furthest = Math.max(this.furthest, this.pos);
    throw new Fail();
  }
  /** TTEXT: a name, operator or punctuation with this text. */
  private text(...texts: string[]): Token {
    const t = this.next();
    if (!(t.type === 'TEXT' || t.type === 'OP' || t.type === 'MISC_OP') || !texts.includes(t.text)) this.fail();
    return t;
  }
  private isText(text: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return (t.type === 'TEXT' || t.type === 'OP' || t.type === 'MISC_OP') && t.text === text;
  }
  private type(type: TokenType): Token {
    const t = this.next();
    if (t.type !== type) this.fail();
    return t;
  }
  /** TRY/OR/END_TRY: the first alternative that succeeds. */
  private choice<T>(...alternatives: (() => T)[]): T {
    const start = this.pos;
    for (const alternative of alternatives) {
      try {
        return alternative();
      } catch (err) {
        if (!(err instanceof Fail)) throw err;
        this.pos = start;
      }
    }
    return this.fail();
  }
  private optional<T>(alternative: () => T): T | undefined {
    return this.choice<T | undefined>(alternative, () => undefined);
  }
  private where(offset: number): { line: number; column: number } {
    const before = this.source.slice(0, offset).split('\n');
    return { line: before.length, column: (before.at(-1) ?? '').length };
  }
  private unsupported(what: string, at: Token): never {
    const { line, column } = this.where(at.offset);
    throw new RuleSyntaxError('unsupported', `${what} is not modelled by this check (extend test/support/rule-language.ts)`, line, column);
  }

  // ---- grammar ---------------------------------------------------------------------------------
  /** Rule (373-550), the alternatives the file can use. */
  private rule(): RuleDefinition {
    const first = this.peek();
    if (first.type === 'TEXT' && (first.text === 'data' || first.text === 'constructor')) this.unsupported('a data type definition', first);
    if (first.type === 'TEXT' && this.isText(':', 1)) this.unsupported('an extern declaration', first);
    const { name, params } = this.ruleName();
    if (this.isText('|')) this.unsupported('the pre-4.0 `|` rule syntax', first);
    const kind = this.text('{', '=').text === '{' ? 'REL' : 'FUNC';
    if (kind === 'FUNC') {
      const action = this.funcExpr();
      this.metadata();
      this.optional(() => this.text(';'));
      return { name, params, kind, body: [action], offset: first.offset };
    }
    const body: Action[] = [];
    let packs = 0;
    for (;;) {
      const done = this.choice(
        () => {
          this.text('ON', 'on', 'ORON', 'oron');
          const cond = this.term(MIN_PREC);
          this.text('{');
          body.push({ action: cond, recovery: undefined }, ...this.actions());
          this.text('}');
          this.metadata();
          packs++;
          return false;
        },
        () => {
          this.text('OR', 'or');
          this.text('{');
          body.push(...this.actions());
          this.text('}');
          this.metadata();
          packs++;
          return false;
        },
        () => {
          if (packs === 0) this.fail();
          this.text('}');
          return true;
        },
        () => {
          if (packs !== 0) this.fail();
          body.push(...this.actions());
          this.text('}');
          this.metadata();
          return true;
        },
      );
      if (done) break;
    }
    return { name, params, kind, body, offset: first.offset };
  }

  /** RuleName (552-603): parameters are plain local variables here (no type annotations). */
  private ruleName(): { name: string; params: string[] } {
    const name = this.type('TEXT').text;
    const params: string[] = [];
    if (this.isText('(')) {
      this.next();
      if (this.isText(')')) {
        this.next();
      } else {
        for (;;) {
          const p = this.peek();
          if (p.type !== 'LOCAL_VAR' || !(this.isText(',', 1) || this.isText(')', 1))) this.unsupported('a rule parameter other than a plain *variable', p);
          params.push(this.next().text);
          if (this.text(',', ')').text === ')') break;
        }
      }
    }
    if (this.isText(':')) this.unsupported('a return type', this.peek());
    return { name, params };
  }

  /** Metadata (605-633): any number of @("attribute", "value"[, "units"]). */
  private metadata(): void {
    for (;;) {
      const found = this.optional(() => {
        this.text('@');
        this.text('(');
        this.type('STRING');
        this.text(',');
        this.type('STRING');
        if (this.text(',', ')').text === ',') {
          this.type('STRING');
          this.text(')');
        }
        return true;
      });
      if (!found) return;
    }
  }

  /** FuncExpr (636-648). */
  private funcExpr(): Action {
    const action = this.term(MIN_PREC);
    const recovery = this.optional(() => {
      this.text(':::');
      return this.term(MIN_PREC);
    });
    return { action, recovery };
  }

  /** Actions (650-705), rulegen: terms, each with an optional `::: recovery` and `;`, up to `}`. */
  private actions(): Action[] {
    if (this.isText('}')) return [];
    const out: Action[] = [];
    for (;;) {
      out.push(this.funcExpr());
      this.optional(() => this.text(';'));
      if (this.isText('}')) return out;
    }
  }

  private block(): Action[] {
    this.text('{');
    const body = this.actions();
    this.text('}');
    return body;
  }

  /** Term (1014-1269). */
  private term(prec: number): Node {
    const t = this.peek();
    if (t.type === 'TEXT' && (t.text === 'SELECT' || t.text === 'select')) this.unsupported('a GenQuery SELECT', t);
    if (t.type === 'TEXT' && ['remote', 'delay', 'let', 'match'].includes(t.text)) this.unsupported(`\`${t.text}\``, t);
    const node = this.choice(
      () => this.ifTerm(),
      () => {
        this.text('while', 'whileExec');
        this.text('(');
        const cond = this.term(MIN_PREC);
        this.text(')');
        return { kind: 'loop', loop: 'while', head: [cond], body: this.block() } as const;
      },
      () => {
        this.text('foreach', 'forEachExec');
        this.text('(');
        const variable: Node = { kind: 'var', name: this.type('LOCAL_VAR').text };
        const head = this.choice(
          () => {
            this.text(')');
            return [variable];
          },
          () => {
            this.text('in');
            const list = this.term(MIN_PREC);
            this.text(')');
            return [variable, list];
          },
        );
        return { kind: 'loop', loop: 'foreach', head, body: this.block() } as const;
      },
      () => {
        this.text('for', 'forExec');
        this.text('(');
        const init = this.term(MIN_PREC);
        this.text(';');
        const cond = this.term(MIN_PREC);
        this.text(';');
        const step = this.term(MIN_PREC);
        this.text(')');
        return { kind: 'loop', loop: 'for', head: [init, cond, step], body: this.block() } as const;
      },
      () => this.operators(this.value(), prec),
    );
    if (this.isText(':')) this.unsupported('a type ascription', this.peek());
    return node;
  }

  /** The two `if` forms of Term (1040-1082). */
  private ifTerm(): Node {
    return this.choice<Node>(
      () => {
        this.text('if');
        this.text('(');
        const cond = this.term(MIN_PREC);
        this.text(')');
        this.optional(() => this.text('then'));
        const then = this.block();
        const otherwise = this.choice<Action[]>(
          () => {
            this.text('else');
            if (!this.isText('if')) this.fail();
            return [{ action: this.term(MIN_PREC), recovery: undefined }];
          },
          () => {
            this.text('else');
            return this.block();
          },
          () => [],
        );
        return { kind: 'if', cond, then, else: otherwise } as const;
      },
      () => {
        this.text('if');
        const cond = this.term(MIN_PREC);
        this.text('then');
        const then = this.term(MIN_PREC);
        this.text('else');
        const otherwise = this.term(MIN_PREC);
        return { kind: 'if', cond, then: [{ action: then, recovery: undefined }], else: [{ action: otherwise, recovery: undefined }] } as const;
      },
    );
  }

  /** The operator loop of Term (1213-1262): precedence climbing, then application. */
  private operators(left: Node, prec: number): Node {
    let node = left;
    for (;;) {
      const step = this.choice<{ node: Node } | 'done'>(
        () => {
          const op = this.type('OP');
          const p = binaryPrecedence(op.text);
          if (p === undefined) this.fail();
          if (prec >= p) {
            this.pos--; // PUSHBACK
            return 'done';
          }
          const right = this.term(p);
          return { node: op.text === '=' ? { kind: 'op', op: 'assign', args: [node, right] } : { kind: 'op', op: op.text, args: [node, right] } };
        },
        () => {
          if (!this.isText('(') && !this.isText('[')) this.fail();
          const arg = this.term(APPLICATION_PREC);
          return { node: { kind: 'apply', fn: node, args: arg.kind === 'tuple' ? arg.items : [arg] } };
        },
        () => 'done' as const,
      );
      if (step === 'done') return node;
      node = step.node;
    }
  }

  /** Value (1369-1447). */
  private value(): Node {
    return this.choice<Node>(
      () => {
        const t = this.next();
        if (t.type === 'LOCAL_VAR' || t.type === 'SESSION_VAR') return { kind: 'var', name: t.text };
        if (t.type === 'INT' || t.type === 'DOUBLE') return { kind: 'number', text: t.text };
        return this.fail();
      },
      () => ({ kind: 'bool', text: this.text('true', 'false').text }),
      () => {
        this.text('(');
        if (this.isText(')')) {
          this.next();
          return { kind: 'tuple', items: [] };
        }
        const items = [this.term(MIN_PREC)];
        while (this.text(',', ')').text === ',') items.push(this.term(MIN_PREC));
        return { kind: 'tuple', items };
      },
      () => ({ kind: 'actions', actions: this.block() }),
      () => {
        const op = this.type('OP');
        const p = unaryPrecedence(op.text);
        if (p === undefined) this.fail();
        return { kind: 'op', op: op.text === '-' ? 'neg' : op.text, args: [this.term(p)] };
      },
      () => {
        const slash = this.text('/');
        return this.unsupported('a path literal', slash);
      },
      () => {
        const t = this.type('TEXT');
        if (KEYWORDS.has(t.text)) this.fail();
        // Followed by an argument list it is the function of an application; alone, a nullary call.
        return this.isText('(') || this.isText('[') ? { kind: 'name', name: t.text } : { kind: 'apply', fn: { kind: 'name', name: t.text }, args: [] };
      },
      () => {
        const t = this.type('STRING');
        return { kind: 'string', value: t.text, vars: t.vars };
      },
    );
  }
}

/** Parses a rule base as the server's parser does (see the header); throws RuleSyntaxError. */
export function parseRuleBase(source: string): RuleDefinition[] {
  return new Parser(tokenize(source), source).rules();
}

/** Every node below `nodes`, depth first. */
export function* walk(nodes: readonly (Node | Action)[]): Generator<Node> {
  for (const item of nodes) {
    if ('action' in item) {
      yield* walk([item.action]);
      if (item.recovery) yield* walk([item.recovery]);
      continue;
    }
    yield item;
    switch (item.kind) {
      case 'tuple':
        yield* walk(item.items);
        break;
      case 'actions':
        yield* walk(item.actions);
        break;
      case 'apply':
        yield* walk([item.fn, ...item.args]);
        break;
      case 'op':
        yield* walk(item.args);
        break;
      case 'if':
        yield* walk([item.cond, ...item.then, ...item.else]);
        break;
      case 'loop':
        yield* walk([...item.head, ...item.body]);
        break;
      default:
        break;
    }
  }
}
