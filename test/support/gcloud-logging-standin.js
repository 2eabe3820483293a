#!/usr/bin/env node
// A stand-in for `gcloud logging read FILTER --order=asc|desc --limit=N
// --format=json [...]` over a file of stored LogEntry objects ($FAKE_LOGS,
// oldest first, as Cloud Logging keeps them). It evaluates FILTER with the
// Logging query language's semantics for the part of it netboot writes
// (cloud.google.com/logging/docs/view/logging-query-language): comparisons
// `field = "value"` (string comparison, not case-sensitive),
// `field = ("a" OR "b")` (any of them), `field:*` (the field is present), a
// missing field matches no comparison, AND / OR in capitals with
// parentheses; a mix of AND and OR without parentheses is refused rather than
// guessed (the docs warn their precedence surprises). Other syntax exits 2.
// $FAKE_CALLS, when set, gets the arguments one per line.
"use strict";
const fs = require("node:fs");

class FilterSyntax extends Error {}

function tokenize(text) {
  const tokens = [];
  const re = /\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|(:\*)|(=)|(:)|([A-Za-z_][A-Za-z0-9_.]*))/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new FilterSyntax(`cannot read the filter at ${JSON.stringify(text.slice(at, at + 20))}`);
    at = re.lastIndex;
    if (m[1]) tokens.push({ t: "(" });
    else if (m[2]) tokens.push({ t: ")" });
    else if (m[3] !== undefined) tokens.push({ t: "str", v: m[3].replace(/\\(.)/g, "$1") });
    else if (m[4]) tokens.push({ t: ":*" });
    else if (m[5]) tokens.push({ t: "=" });
    else if (m[6]) throw new FilterSyntax("the substring operator ':' (other than ':*') is not supported by this stand-in");
    else if (m[7] === "AND" || m[7] === "OR" || m[7] === "NOT") tokens.push({ t: m[7] });
    else tokens.push({ t: "field", v: m[7] });
  }
  return tokens;
}

/** Parses into a predicate over a LogEntry. */
function parseFilter(text) {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const take = (t) => {
    const tok = tokens[i];
    if (!tok || tok.t !== t) throw new FilterSyntax(`expected ${t} at token ${i}, got ${tok ? tok.t : "the end"}`);
    i++;
    return tok;
  };
  function expression() {
    const terms = [term()];
    let op = null;
    while (peek() && (peek().t === "AND" || peek().t === "OR")) {
      const next = take(peek().t).t;
      if (op && op !== next) throw new FilterSyntax("AND and OR mixed without parentheses");
      op = next;
      terms.push(term());
    }
    if (terms.length === 1) return terms[0];
    return op === "AND" ? (e) => terms.every((f) => f(e)) : (e) => terms.some((f) => f(e));
  }
  function term() {
    if (peek() && peek().t === "NOT") throw new FilterSyntax("NOT is not supported by this stand-in");
    if (peek() && peek().t === "(") {
      take("(");
      const inner = expression();
      take(")");
      return inner;
    }
    const field = take("field").v.split(".");
    const valueOf = (entry) => field.reduce((v, k) => (v !== null && typeof v === "object" ? v[k] : undefined), entry);
    if (peek() && peek().t === ":*") {
      take(":*");
      return (e) => valueOf(e) !== undefined && valueOf(e) !== null;
    }
    take("=");
    const values = [];
    if (peek() && peek().t === "(") {
      take("(");
      values.push(take("str").v);
      while (peek() && peek().t === "OR") {
        take("OR");
        values.push(take("str").v);
      }
      take(")");
    } else values.push(take("str").v);
    const wanted = values.map((v) => v.toLowerCase());
    return (e) => {
      const v = valueOf(e);
      return typeof v === "string" && wanted.includes(v.toLowerCase());
    };
  }
  const predicate = expression();
  if (i !== tokens.length) throw new FilterSyntax(`unexpected ${tokens[i].t} at token ${i}`);
  return predicate;
}

function main(argv) {
  if (process.env.FAKE_CALLS) fs.appendFileSync(process.env.FAKE_CALLS, `${argv.join("\n")}\n`);
  if (argv[0] !== "logging" || argv[1] !== "read" || argv[2] === undefined) {
    process.stderr.write(`stand-in gcloud: only 'logging read FILTER ...' is supported, got: ${argv.join(" ")}\n`);
    return 2;
  }
  const flag = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  if (flag("format") !== "json") {
    process.stderr.write("stand-in gcloud: --format=json is required\n");
    return 2;
  }
  let keep;
  try {
    keep = parseFilter(argv[2]);
  } catch (err) {
    if (!(err instanceof FilterSyntax)) throw err;
    process.stderr.write(`ERROR: (gcloud.logging.read) INVALID_ARGUMENT: ${err.message}\n`);
    return 1;
  }
  const stored = JSON.parse(fs.readFileSync(process.env.FAKE_LOGS, "utf8"));
  let entries = stored.filter(keep);
  if (flag("order") === "desc") entries = entries.reverse();
  const limit = flag("limit");
  if (limit !== undefined) entries = entries.slice(0, Number(limit));
  process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
module.exports = { parseFilter, FilterSyntax };
