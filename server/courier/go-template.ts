/**
 * The part of Go's text/template (and html/template) language that Kratos's email templates use,
 * so that template files written for Kratos render the same here. Supported:
 *
 * - output: `{{ .Field }}`, nested `{{ .Identity.traits.email }}`, `{{ . }}`, `{{ $ }}` / `{{ $.Field }}`
 * - literals: "strings" (Go escapes), `raw strings`, numbers, true, false, nil
 * - trim markers `{{-` and `-}}`, comments `{{/* … *\/}}`
 * - `{{ if … }}` / `{{ else if … }}` / `{{ else }}` / `{{ end }}`, `{{ with … }}`, `{{ range … }}`
 *   (over lists and objects; `.` is the element) with `{{ else }}` for empty
 * - function calls and pipelines: `{{ eq .A "x" }}`, `{{ .Name | upper }}`, `{{ printf "%s!" .Name }}`
 *   with eq, ne, lt, le, gt, ge, not, and, or, len, index, print, printf, html, urlquery, js, and
 *   the sprig helpers upper, lower, title, trim, default
 *
 * Not supported (a parse error names them): variables (`$x := …`), `define`/`template`/`block`,
 * `break`/`continue`, method calls. A missing field prints `<no value>` in text templates (Go's
 * text/template does the same for maps) and nothing in HTML templates. HTML templates escape every
 * printed value for HTML (html/template's contextual escaping is reduced to that one context).
 */

type Value = unknown;

type Node =
  | { kind: "text"; text: string }
  | { kind: "print"; pipe: Pipeline }
  | { kind: "if" | "with" | "range"; pipe: Pipeline; body: Node[]; otherwise: Node[] };

interface Pipeline {
  commands: Command[];
}
type Command = Term[];
type Term =
  | { kind: "field"; root: "dot" | "dollar"; path: string[] }
  | { kind: "literal"; value: Value }
  | { kind: "ident"; name: string }
  | { kind: "pipe"; pipe: Pipeline };

export class TemplateSyntaxError extends Error {
  constructor(name: string, message: string) {
    super(`template ${name}: ${message}`);
    this.name = "TemplateSyntaxError";
  }
}

export class TemplateExecError extends Error {
  constructor(name: string, message: string) {
    super(`template ${name}: ${message}`);
    this.name = "TemplateExecError";
  }
}

export interface CompiledTemplate {
  readonly name: string;
  render(data: Value): string;
}

/** Parses a template once; `html` escapes printed values for HTML, as Kratos's HTML bodies do. */
export function compileGoTemplate(
  source: string,
  options: { name: string; html: boolean },
): CompiledTemplate {
  const nodes = parse(source, options.name);
  return {
    name: options.name,
    render: (data) => {
      const out: string[] = [];
      execute(nodes, { dot: data, root: data, html: options.html, name: options.name }, out);
      return out.join("");
    },
  };
}

// ----- lexing the actions -----

interface Action {
  /** Text before the action, already trimmed by trim markers. */
  text: string;
  body: string | undefined;
}

function splitActions(source: string, name: string): Action[] {
  const actions: Action[] = [];
  let rest = source;
  let trimNextText = false;
  while (true) {
    const open = rest.indexOf("{{");
    if (open < 0) {
      actions.push({ text: trimNextText ? rest.trimStart() : rest, body: undefined });
      return actions;
    }
    let text = rest.slice(0, open);
    if (trimNextText) text = text.trimStart();
    let inner = rest.slice(open + 2);
    if (/^-\s/.test(inner)) {
      text = text.trimEnd();
      inner = inner.slice(1);
    }
    const close = findClose(inner, name);
    let body = inner.slice(0, close);
    trimNextText = false;
    if (/\s-$/.test(body)) {
      body = body.slice(0, -1);
      trimNextText = true;
    }
    actions.push({ text, body: body.trim() });
    rest = inner.slice(close + 2);
  }
}

/** The index of the `}}` closing an action, skipping over string literals and comments. */
function findClose(inner: string, name: string): number {
  let i = 0;
  while (i < inner.length) {
    const c = inner[i]!;
    if (c === '"' || c === "`") {
      const end = c === "`" ? inner.indexOf("`", i + 1) : endOfQuoted(inner, i);
      if (end < 0) throw new TemplateSyntaxError(name, "unterminated string in action");
      i = end + 1;
    } else if (inner.startsWith("/*", i)) {
      const end = inner.indexOf("*/", i + 2);
      if (end < 0) throw new TemplateSyntaxError(name, "unclosed comment");
      i = end + 2;
    } else if (inner.startsWith("}}", i)) {
      return i;
    } else i++;
  }
  throw new TemplateSyntaxError(name, "unclosed action");
}

function endOfQuoted(s: string, start: number): number {
  for (let i = start + 1; i < s.length; i++) {
    if (s[i] === "\\") i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}

// ----- tokens inside one action -----

type Token =
  | { t: "field"; root: "dot" | "dollar"; path: string[] }
  | { t: "literal"; value: Value }
  | { t: "ident"; name: string }
  | { t: "pipe" }
  | { t: "open" }
  | { t: "close" };

function tokenize(body: string, name: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < body.length) {
    const c = body[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "|") {
      tokens.push({ t: "pipe" });
      i++;
    } else if (c === "(") {
      tokens.push({ t: "open" });
      i++;
    } else if (c === ")") {
      tokens.push({ t: "close" });
      i++;
    } else if (c === '"') {
      const end = endOfQuoted(body, i);
      if (end < 0) throw new TemplateSyntaxError(name, "unterminated string");
      tokens.push({ t: "literal", value: JSON.parse(body.slice(i, end + 1)) });
      i = end + 1;
    } else if (c === "`") {
      const end = body.indexOf("`", i + 1);
      if (end < 0) throw new TemplateSyntaxError(name, "unterminated raw string");
      tokens.push({ t: "literal", value: body.slice(i + 1, end) });
      i = end + 1;
    } else if (c === "." || c === "$") {
      const match = /^(\$|\.)((?:\.?[A-Za-z_][A-Za-z0-9_]*)*)/.exec(body.slice(i))!;
      const raw = match[0];
      if (c === "$" && raw.length > 1 && raw[1] !== ".") {
        throw new TemplateSyntaxError(name, `variables are not supported: ${raw}`);
      }
      const path = (c === "$" ? match[2]! : raw).split(".").filter((p) => p !== "");
      tokens.push({ t: "field", root: c === "$" ? "dollar" : "dot", path });
      i += raw.length;
      if (/^\s*:?=/.test(body.slice(i))) throw new TemplateSyntaxError(name, "variables are not supported");
    } else if (/[-+0-9]/.test(c)) {
      const match = /^[-+]?(\d+(\.\d+)?)/.exec(body.slice(i));
      if (!match) throw new TemplateSyntaxError(name, `unexpected "${c}" in action`);
      tokens.push({ t: "literal", value: Number(match[0]) });
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(body.slice(i))![0];
      if (word === "true" || word === "false") tokens.push({ t: "literal", value: word === "true" });
      else if (word === "nil") tokens.push({ t: "literal", value: undefined });
      else tokens.push({ t: "ident", name: word });
      i += word.length;
    } else {
      throw new TemplateSyntaxError(name, `unexpected "${c}" in action`);
    }
  }
  return tokens;
}

function parsePipeline(tokens: Token[], name: string): Pipeline {
  let pos = 0;
  const pipeline = (): Pipeline => {
    const commands: Command[] = [];
    let command: Command = [];
    while (pos < tokens.length) {
      const token = tokens[pos]!;
      if (token.t === "close") break;
      pos++;
      if (token.t === "pipe") {
        if (command.length === 0) throw new TemplateSyntaxError(name, "missing command before |");
        commands.push(command);
        command = [];
      } else if (token.t === "open") {
        const inner = pipeline();
        if (tokens[pos]?.t !== "close") throw new TemplateSyntaxError(name, "unclosed (");
        pos++;
        command.push({ kind: "pipe", pipe: inner });
      } else if (token.t === "ident") {
        if (!(token.name in FUNCTIONS)) {
          throw new TemplateSyntaxError(name, `function "${token.name}" not defined`);
        }
        command.push({ kind: "ident", name: token.name });
      } else if (token.t === "field") {
        command.push({ kind: "field", root: token.root, path: token.path });
      } else {
        command.push({ kind: "literal", value: token.value });
      }
    }
    if (command.length === 0) throw new TemplateSyntaxError(name, "missing value for command");
    commands.push(command);
    return { commands };
  };
  const result = pipeline();
  if (pos < tokens.length) throw new TemplateSyntaxError(name, "unexpected )");
  return result;
}

// ----- parsing the control structure -----

const KEYWORDS = new Set(["if", "with", "range", "else", "end"]);
const UNSUPPORTED = new Set(["define", "template", "block", "break", "continue"]);

function parse(source: string, name: string): Node[] {
  const actions = splitActions(source, name);
  let index = 0;

  /** Parses nodes until `else`/`end` (returned) or the end of input. */
  const list = (): { nodes: Node[]; stop: string | undefined; rest: string } => {
    const nodes: Node[] = [];
    while (index < actions.length) {
      const action = actions[index++]!;
      if (action.text !== "") nodes.push({ kind: "text", text: action.text });
      const body = action.body;
      if (body === undefined) break;
      if (body.startsWith("/*")) {
        if (!body.endsWith("*/")) throw new TemplateSyntaxError(name, "comment must end the action");
        continue;
      }
      const keyword = /^([A-Za-z_]+)\b\s*([\s\S]*)$/.exec(body);
      const word = keyword?.[1];
      if (word && UNSUPPORTED.has(word)) throw new TemplateSyntaxError(name, `"${word}" is not supported`);
      if (word && KEYWORDS.has(word)) {
        const rest = keyword![2]!;
        if (word === "end" || word === "else") return { nodes, stop: word, rest };
        nodes.push(block(word as "if" | "with" | "range", rest));
        continue;
      }
      if (body === "") throw new TemplateSyntaxError(name, "missing value for command");
      nodes.push({ kind: "print", pipe: parsePipeline(tokenize(body, name), name) });
    }
    return { nodes, stop: undefined, rest: "" };
  };

  const block = (kind: "if" | "with" | "range", condition: string): Node => {
    if (condition.trim() === "") throw new TemplateSyntaxError(name, `missing value for ${kind}`);
    const pipe = parsePipeline(tokenize(condition, name), name);
    const then = list();
    if (then.stop === undefined)
      throw new TemplateSyntaxError(name, `unexpected EOF: missing {{ end }} for ${kind}`);
    if (then.stop === "end") return { kind, pipe, body: then.nodes, otherwise: [] };
    // `else if …` / `else with …` chains are one nested block that shares this block's `end`.
    const chained = /^(if|with)\b\s*([\s\S]*)$/.exec(then.rest);
    if (chained) {
      return { kind, pipe, body: then.nodes, otherwise: [block(chained[1] as "if" | "with", chained[2]!)] };
    }
    if (then.rest.trim() !== "") throw new TemplateSyntaxError(name, `unexpected "${then.rest}" after else`);
    const otherwise = list();
    if (otherwise.stop !== "end") throw new TemplateSyntaxError(name, `missing {{ end }} for ${kind}`);
    return { kind, pipe, body: then.nodes, otherwise: otherwise.nodes };
  };

  const top = list();
  if (top.stop !== undefined) throw new TemplateSyntaxError(name, `unexpected {{ ${top.stop} }}`);
  return top.nodes;
}

// ----- execution -----

interface Scope {
  dot: Value;
  root: Value;
  html: boolean;
  name: string;
}

/** Marks a missing map key, printed as `<no value>` like Go's text/template. */
const MISSING = Symbol("missing");

function execute(nodes: Node[], scope: Scope, out: string[]): void {
  for (const node of nodes) {
    if (node.kind === "text") out.push(node.text);
    else if (node.kind === "print") out.push(show(evalPipeline(node.pipe, scope), scope.html));
    else {
      const value = evalPipeline(node.pipe, scope);
      if (node.kind === "range") {
        const items = rangeItems(value, scope.name);
        if (items.length === 0) execute(node.otherwise, scope, out);
        for (const item of items) execute(node.body, { ...scope, dot: item }, out);
      } else if (truthy(value)) {
        execute(node.body, node.kind === "with" ? { ...scope, dot: value } : scope, out);
      } else {
        execute(node.otherwise, scope, out);
      }
    }
  }
}

function rangeItems(value: Value, name: string): Value[] {
  if (value === MISSING || value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  if (typeof value === "object") {
    // Go ranges over a map in sorted key order.
    const record = value as Record<string, Value>;
    return Object.keys(record)
      .sort()
      .map((key) => record[key]);
  }
  if (typeof value === "number" && Number.isInteger(value)) return Array.from({ length: value }, (_, i) => i);
  throw new TemplateExecError(name, `range can't iterate over ${String(value)}`);
}

function evalPipeline(pipe: Pipeline, scope: Scope): Value {
  let carried: Value[] = [];
  let value: Value;
  for (const command of pipe.commands) {
    value = evalCommand(command, scope, carried);
    carried = [value];
  }
  return value;
}

function evalCommand(command: Command, scope: Scope, carried: Value[]): Value {
  const [head, ...args] = command;
  if (head!.kind === "ident") {
    const fn = FUNCTIONS[head!.name]!;
    return fn(scope, ...args.map((a) => evalTerm(a, scope)), ...carried);
  }
  if (args.length > 0 || carried.length > 0) {
    throw new TemplateExecError(scope.name, "can't give arguments to a non-function");
  }
  return evalTerm(head!, scope);
}

function evalTerm(term: Term, scope: Scope): Value {
  switch (term.kind) {
    case "literal":
      return term.value;
    case "pipe":
      return evalPipeline(term.pipe, scope);
    case "ident":
      return FUNCTIONS[term.name]!(scope);
    case "field": {
      let value: Value = term.root === "dot" ? scope.dot : scope.root;
      for (const key of term.path) {
        if (value === MISSING || value === undefined || value === null) return MISSING;
        if (typeof value !== "object") {
          throw new TemplateExecError(scope.name, `can't evaluate field ${key} in type ${typeof value}`);
        }
        const record = value as Record<string, Value>;
        value = Object.hasOwn(record, key) ? record[key] : MISSING;
      }
      return value;
    }
  }
}

function truthy(value: Value): boolean {
  if (value === MISSING || value === undefined || value === null || value === false) return false;
  if (value === 0 || value === "") return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value as object).length > 0;
  return true;
}

function text(value: Value): string {
  if (value === MISSING || value === undefined || value === null) return "<no value>";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

function show(value: Value, html: boolean): string {
  if (!html) return text(value);
  if (value === MISSING || value === undefined || value === null) return "";
  return escapeHtml(text(value));
}

/** The escapes of Go's html/template (template.HTMLEscapeString). */
const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&#34;",
  "'": "&#39;",
  "+": "&#43;",
};

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'+]/g, (c) => HTML_ESCAPES[c]!);
}

function compare(scope: Scope, a: Value, b: Value): number {
  const x = a === MISSING ? undefined : a;
  const y = b === MISSING ? undefined : b;
  if (typeof x === "number" && typeof y === "number") return x - y;
  if (typeof x === "string" && typeof y === "string") return x < y ? -1 : x > y ? 1 : 0;
  throw new TemplateExecError(scope.name, "incompatible types for comparison");
}

function same(a: Value, b: Value): boolean {
  const x = a === MISSING ? undefined : a;
  const y = b === MISSING ? undefined : b;
  return x === y;
}

/** Go's %s / %d / %v / %q / %% verbs, enough for messages like printf "%d minutes". */
function printf(format: Value, ...args: Value[]): string {
  let next = 0;
  return String(format).replace(/%([%sdvq])/g, (_, verb: string) => {
    if (verb === "%") return "%";
    if (next >= args.length) return `%!${verb}(MISSING)`;
    const arg = args[next++];
    return verb === "q" ? JSON.stringify(text(arg)) : text(arg);
  });
}

const FUNCTIONS: Record<string, (scope: Scope, ...args: Value[]) => Value> = {
  eq: (_, a, ...rest) => rest.some((b) => same(a, b)),
  ne: (_, a, b) => !same(a, b),
  lt: (s, a, b) => compare(s, a, b) < 0,
  le: (s, a, b) => compare(s, a, b) <= 0,
  gt: (s, a, b) => compare(s, a, b) > 0,
  ge: (s, a, b) => compare(s, a, b) >= 0,
  not: (_, a) => !truthy(a),
  and: (_, ...args) => {
    for (const a of args) if (!truthy(a)) return a;
    return args[args.length - 1];
  },
  or: (_, ...args) => {
    for (const a of args) if (truthy(a)) return a;
    return args[args.length - 1];
  },
  len: (s, a) => {
    if (typeof a === "string" || Array.isArray(a)) return a.length;
    if (a && typeof a === "object") return Object.keys(a).length;
    throw new TemplateExecError(s.name, "len of a value without length");
  },
  index: (_, a, ...keys) => {
    let value = a;
    for (const key of keys) {
      if (value === MISSING || value === undefined || value === null || typeof value !== "object")
        return MISSING;
      const record = value as Record<string, Value>;
      value = Object.hasOwn(record, String(key)) ? record[String(key)] : MISSING;
    }
    return value;
  },
  print: (_, ...args) => args.map(text).join(""),
  printf: (_, format, ...args) => printf(format, ...args),
  html: (_, a) => escapeHtml(text(a)),
  js: (_, a) => JSON.stringify(text(a)).slice(1, -1),
  urlquery: (_, a) => encodeURIComponent(text(a)),
  upper: (_, a) => text(a).toUpperCase(),
  lower: (_, a) => text(a).toLowerCase(),
  title: (_, a) => text(a).replace(/\b\w/g, (c) => c.toUpperCase()),
  trim: (_, a) => text(a).trim(),
  // sprig's `default DEFAULT VALUE`: VALUE when it is set, else DEFAULT.
  default: (_, fallback, value) => (truthy(value) ? value : fallback),
};
