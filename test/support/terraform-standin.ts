// Turns a synthesized cdktf stack into a configuration the real Terraform CLI
// can validate and apply offline: every provider resource, data source and
// provider block becomes a built-in `terraform_data` resource whose `input`
// carries its arguments, so Terraform parses every string and evaluates every
// expression (templates, functions, cross-stack remote state) exactly as it
// would in production, without downloading a provider.
//
//   resource.<type>.<name>        → terraform_data.<type>__<name>
//   data.<type>.<name>            → terraform_data.data__<type>__<name>
//   provider.<name>[i]            → terraform_data.provider__<name>__<i>
//   <type>.<name>.<attr…>         → terraform_data.<type>__<name>.output.<attr…>
//   <type>.<name>[key].<attr…>    → terraform_data.<type>__<name>[key].output.<attr…>
//                                   (for_each/count kept; key a literal or each.key/each.value…)
//   moved { from, to }            → the same move between the stand-ins' addresses
//
// Attributes a provider would compute (ids, endpoints, keys, secret data) are
// not arguments: each one the configuration reads gets a stub value, shaped by
// how it is read (an index makes a list, an attribute an object) and chosen
// by `stub` (e.g. a Talos config for a secret) or the defaults below.
// A `time_sleep` (hashicorp/time) becomes a terraform_data like any resource:
// Terraform orders it by its references and depends_on as it orders the real
// one, but it does not wait (the wait is the provider's).
// `lifecycle.ignore_changes` and `replace_triggered_by` name provider
// attributes and are dropped; `terraform_remote_state` stays as it is, with a
// local backend's path made absolute, so stacks read each other's outputs as
// they do in production.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type StackJson = Record<string, any>;

/** A stub for one computed attribute; undefined falls back to the defaults. */
export type StubFor = (kind: "resource" | "data", type: string, name: string, path: readonly PathSegment[], args: Readonly<Record<string, any>>) => unknown;

export type PathSegment = string | number;

export interface StandInOptions {
  /** Where local-backend state files live (absolute). Undefined keeps the backend as synthesized (e.g. gcs). */
  readonly stateDir?: string;
  readonly stub?: StubFor;
}

/** The address of the stand-in for a resource or data source. */
export const standInName = (kind: "resource" | "data", type: string, name: string): string => (kind === "data" ? `data__${type}__${name}` : `${type}__${name}`);

const META_ARGUMENTS = new Set(["provider", "depends_on", "lifecycle", "count", "for_each", "provisioner", "connection", "//"]);

/** A base64 value (the cluster CA is read through base64decode). */
const b64 = (text: string) => Buffer.from(text).toString("base64");
const pem = (label: string, what: string) => `-----BEGIN ${label}-----\n${b64(`netboot stand-in ${what}, not a real ${label.toLowerCase()}`)}\n-----END ${label}-----\n`;

/** Defaults for computed attributes this project reads, by attribute name. */
function defaultStub(kind: "resource" | "data", type: string, name: string, path: readonly PathSegment[]): unknown {
  const leaf = String(path[path.length - 1]);
  if (leaf === "cluster_ca_certificate") return b64(pem("CERTIFICATE", `${type}.${name} cluster CA`));
  if (leaf === "private_key_pem") return pem("PRIVATE KEY", `${type}.${name}`);
  if (leaf === "cert_pem") return pem("CERTIFICATE", `${type}.${name}`);
  if (leaf === "cert_request_pem") return pem("CERTIFICATE REQUEST", `${type}.${name}`);
  // A cluster's DNS-based control-plane endpoint (a name, gke-….gke.goog), distinct from its IP endpoint.
  if (leaf === "endpoint" && path.includes("dns_endpoint_config")) return `gke-stand-in-${name.toLowerCase().replace(/[^a-z0-9-]/g, "-")}.gke.goog`;
  if (leaf === "endpoint") return "198.51.100.200";
  if (leaf === "address") return "198.51.100.100";
  if (leaf === "email") return `${name.toLowerCase().replace(/[^a-z0-9-]/g, "-")}@stand-in.iam.gserviceaccount.com`;
  return `stand-in:${kind === "data" ? "data." : ""}${type}.${name}.${path.join(".")}`;
}

interface Reference {
  readonly kind: "resource" | "data";
  readonly type: string;
  readonly name: string;
  readonly path: PathSegment[];
}

/**
 * Splits a Terraform template string into literal text and the expressions in
 * `${…}`/`%{…}` (nested templates inside quoted strings included), calling
 * `rewrite` on each expression's source. `$${` and `%%{` are literal text.
 */
export function mapTemplateExpressions(text: string, rewrite: (expr: string) => string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const two = text.slice(i, i + 2);
    if ((text[i] === "$" || text[i] === "%") && text.slice(i + 1, i + 3) === `${text[i]}{`) {
      out += text.slice(i, i + 3);
      i += 3;
    } else if (two === "${" || two === "%{") {
      const end = expressionEnd(text, i + 2);
      out += two + rewriteExpression(text.slice(i + 2, end), rewrite) + "}";
      i = end + 1;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

/** Rewrites an expression's own code, and recursively the templates of the quoted strings in it. */
function rewriteExpression(expr: string, rewrite: (code: string) => string): string {
  let out = "";
  let code = "";
  let i = 0;
  while (i < expr.length) {
    if (expr[i] === '"') {
      out += rewrite(code);
      code = "";
      const end = quotedEnd(expr, i + 1);
      out += '"' + mapTemplateExpressions(expr.slice(i + 1, end), rewrite) + '"';
      i = end + 1;
    } else {
      code += expr[i];
      i++;
    }
  }
  return out + rewrite(code);
}

/** Index of the `}` that closes an expression starting at `start`. */
function expressionEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '"') i = quotedEnd(text, i + 1);
    else if (c === "{") depth++;
    else if (c === "}") {
      if (depth === 0) return i;
      depth--;
    }
  }
  throw new Error(`unterminated template expression in ${JSON.stringify(text.slice(Math.max(0, start - 2), start + 80))}`);
}

/** Index of the `"` that closes a quoted string whose content starts at `start`. */
function quotedEnd(text: string, start: number): number {
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === "\\") i++;
    else if (c === '"') return i;
    else if ((c === "$" || c === "%") && text[i + 1] === c && text[i + 2] === "{") i += 2;
    else if ((c === "$" || c === "%") && text[i + 1] === "{") i = expressionEnd(text, i + 2);
  }
  throw new Error(`unterminated string in ${JSON.stringify(text.slice(start - 1, start + 80))}`);
}

/** Deep map over every string in a JSON value (object keys included, as Terraform reads them as templates too). */
function mapStrings(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === "string") return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [fn(k), mapStrings(v, fn)]));
  return value;
}

/** Whether a resource or data source has instances (`for_each` or `count`), each addressed `name[key]`. */
const hasInstances = (body: Record<string, unknown>) => body.for_each !== undefined || body.count !== undefined;

/** Builds the provider-less configuration of one synthesized stack. */
export function providerlessStack(stack: StackJson, options: StandInOptions = {}): StackJson {
  const known = new Map<string, { kind: "resource" | "data"; type: string; name: string; instances: boolean }>();
  for (const [type, byName] of Object.entries<Record<string, any>>(stack.resource ?? {})) {
    for (const [name, body] of Object.entries(byName)) known.set(`${type}.${name}`, { kind: "resource", type, name, instances: hasInstances(body) });
  }
  for (const [type, byName] of Object.entries<Record<string, any>>(stack.data ?? {})) {
    if (type === "terraform_remote_state") continue;
    for (const [name, body] of Object.entries(byName)) known.set(`data.${type}.${name}`, { kind: "data", type, name, instances: hasInstances(body) });
  }

  const references: Reference[] = [];
  // An address, then an instance key when the resource has for_each or count (a
  // literal or an each.key/each.value reference), then attributes and indexes.
  const address =
    /(?<![\w.\-"])((?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_-]*)(\[(?:\d+|"[^"\\]*"|each\.key|each\.value(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\])?((?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\]|\["[^"\\]*"\])*)/g;
  const rewriteCode = (code: string) =>
    code.replace(address, (whole, addr: string, key: string | undefined, chain: string) => {
      const target = known.get(addr);
      if (!target) return whole;
      if (target.instances && key === undefined && chain !== "") throw new Error(`${addr} has instances, but ${whole} reads an attribute without an instance key`);
      if (!target.instances && key !== undefined) {
        // Not an instance key: the index belongs to the attribute path.
        chain = key + chain;
        key = undefined;
      }
      const path = [...chain.matchAll(/\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\["([^"\\]*)"\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : (m[1] ?? m[3])));
      references.push({ kind: target.kind, type: target.type, name: target.name, path });
      return `terraform_data.${standInName(target.kind, target.type, target.name)}${key ?? ""}${path.length ? `.output${chain}` : ""}`;
    });
  const rewrite = (value: unknown) => mapStrings(value, (s) => mapTemplateExpressions(s, rewriteCode));
  const dependsOn = (list: unknown) =>
    (list as string[]).map((dep) => {
      const target = known.get(dep);
      if (!target) throw new Error(`depends_on names ${dep}, which is not in this stack`);
      return `terraform_data.${standInName(target.kind, target.type, target.name)}`;
    });

  const standIns: Record<string, any> = {};
  const inputs = new Map<string, any>();
  const addStandIn = (key: string, body: Record<string, any>) => {
    const args: Record<string, any> = {};
    const meta: Record<string, any> = {};
    for (const [k, v] of Object.entries(body)) {
      if (!META_ARGUMENTS.has(k)) args[k] = v;
      else if (k === "depends_on") meta.depends_on = dependsOn(v);
      else if (k === "count" || k === "for_each") meta[k] = v;
      else if (k === "lifecycle") {
        const { ignore_changes: _ignored, replace_triggered_by: _replaced, ...rest } = v as Record<string, unknown>;
        if (Object.keys(rest).length) meta.lifecycle = rest;
      }
    }
    const input = rewrite(args);
    inputs.set(key, input);
    standIns[key] = { input, ...(rewrite(meta) as Record<string, unknown>) };
  };
  for (const [type, byName] of Object.entries<Record<string, any>>(stack.resource ?? {})) {
    for (const [name, body] of Object.entries(byName)) addStandIn(standInName("resource", type, name), body);
  }
  for (const [type, byName] of Object.entries<Record<string, any>>(stack.data ?? {})) {
    if (type === "terraform_remote_state") continue;
    for (const [name, body] of Object.entries(byName)) addStandIn(standInName("data", type, name), body);
  }
  for (const [name, blocks] of Object.entries<any>(stack.provider ?? {})) {
    (Array.isArray(blocks) ? blocks : [blocks]).forEach((block, i) => addStandIn(`provider__${name}__${i}`, block));
  }
  // Outputs and locals are read after every stand-in's references are known.
  const output = stack.output ? rewrite(stack.output) : undefined;
  const locals = stack.locals ? rewrite(stack.locals) : undefined;

  for (const ref of references) {
    if (ref.path.length === 0) continue;
    const input = inputs.get(standInName(ref.kind, ref.type, ref.name));
    const stub = options.stub?.(ref.kind, ref.type, ref.name, ref.path, input) ?? defaultStub(ref.kind, ref.type, ref.name, ref.path);
    ensurePath(input, ref.path, stub);
  }

  const remoteState = stack.data?.terraform_remote_state;
  const terraform: Record<string, any> = {};
  if (options.stateDir) {
    const local = stack.terraform?.backend?.local;
    if (!local) throw new Error(`stateDir given, but the stack's backend is ${JSON.stringify(stack.terraform?.backend)}`);
    terraform.backend = { local: { path: join(options.stateDir, local.path.split("/").pop()) } };
  } else if (stack.terraform?.backend) {
    terraform.backend = stack.terraform.backend;
  }
  const data = remoteState
    ? {
        terraform_remote_state: Object.fromEntries(
          Object.entries<any>(remoteState).map(([name, body]) => {
            if (body.backend === "local" && options.stateDir) {
              return [name, { ...body, config: { ...body.config, path: join(options.stateDir, String(body.config.path).split("/").pop()!) } }];
            }
            return [name, body];
          }),
        ),
      }
    : undefined;

  // Every resource has become a terraform_data resource: its moves too.
  const moved = (stack.moved as { from: string; to: string }[] | undefined)?.map(({ from, to }) => ({ from: movedAddress(from), to: movedAddress(to) }));

  return {
    terraform,
    ...(moved ? { moved } : {}),
    ...(locals ? { locals } : {}),
    ...(data ? { data } : {}),
    ...(Object.keys(standIns).length ? { resource: { terraform_data: standIns } } : {}),
    ...(output ? { output } : {}),
  };
}

/** A `moved` block's address (`<type>.<name>[key]`) as the stand-in's: `terraform_data.<type>__<name>[key]`. */
function movedAddress(address: string): string {
  const m = /^([a-z][a-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_-]*)(\[.*\])?$/.exec(address);
  if (!m || m[1] === "data") throw new Error(`moved block address ${address} is not a managed resource's`);
  return `terraform_data.${standInName("resource", m[1], m[2])}${m[3] ?? ""}`;
}

/** Makes `path` readable in `value` (an argument object), creating lists and objects as the path needs and a stub at the end. */
function ensurePath(value: any, path: readonly PathSegment[], stub: unknown): void {
  let node = value;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    const nextIsIndex = !last && typeof path[i + 1] === "number";
    if (typeof seg === "number") throw new Error(`a reference indexes the resource itself: ${path.join(".")}`);
    let child = node[seg];
    if (child === undefined) {
      if (last) {
        node[seg] = stub;
        return;
      }
      child = nextIsIndex ? [] : {};
      node[seg] = child;
    } else if (nextIsIndex && !Array.isArray(child)) {
      // A single nested block written as an object is a one-element list to a reader.
      child = [child];
      node[seg] = child;
    }
    if (last) return;
    if (nextIsIndex) {
      const index = path[i + 1] as number;
      const list = child as any[];
      while (list.length <= index) list.push(i + 2 === path.length ? stub : typeof path[i + 2] === "number" ? [] : {});
      if (i + 2 === path.length) return;
      node = list[index];
      i++;
    } else {
      node = child;
    }
  }
}

export interface TerraformRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export const TERRAFORM = process.env.TERRAFORM_BINARY_NAME ?? "terraform";

export interface TerraformOptions {
  /** Added to (or, with undefined values, removed from) the environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** @default 120_000 (offline: no provider downloads) */
  readonly timeoutMs?: number;
}

/**
 * Runs the Terraform CLI without prompts or telemetry. The CLI config file is
 * /dev/null unless `env` passes one: offline runs must not pick up a user's
 * provider mirrors or credentials.
 */
export function terraform(cwd: string, args: readonly string[], options: TerraformOptions = {}): TerraformRun {
  const run = spawnSync(TERRAFORM, args, {
    cwd,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    timeout: options.timeoutMs ?? 120_000,
    env: { ...process.env, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: "/dev/null", ...options.env },
  });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

export function mustTerraform(cwd: string, args: readonly string[], options: TerraformOptions = {}): string {
  const r = terraform(cwd, args, options);
  if (r.status !== 0) throw new Error(`terraform ${args.join(" ")} failed in ${cwd} (exit ${r.status}):\n${diagnostics(`${r.stdout}\n${r.stderr}`)}`);
  return r.stdout;
}

/**
 * Terraform's diagnostics, readable: it echoes the whole source line, which
 * for an embedded script is one huge JSON string, so long lines are cut.
 */
export function diagnostics(output: string, maxLines = 60): string {
  const lines = output.split("\n").map((l) => (l.length > 240 ? `${l.slice(0, 240)}… (${l.length} chars)` : l));
  return lines.slice(0, maxLines).join("\n") + (lines.length > maxLines ? `\n… ${lines.length - maxLines} more lines` : "");
}

/** Why the Terraform CLI cannot be used here, or undefined when it can. */
export function terraformMissing(): string | undefined {
  try {
    const r = spawnSync(TERRAFORM, ["version", "-json"], { encoding: "utf8", timeout: 30_000 });
    if (r.error) return `${TERRAFORM} is not installed (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}); GitHub Actions gets it from hashicorp/setup-terraform`;
    if (r.status !== 0) return `${TERRAFORM} version failed: ${r.stderr.trim()}`;
    const version = JSON.parse(r.stdout).terraform_version as string;
    const [major, minor] = version.split(".").map(Number);
    if (major < 1 || (major === 1 && minor < 4)) return `terraform ${version} is older than 1.4 (terraform_data)`;
    return undefined;
  } catch (err) {
    return `cannot run ${TERRAFORM}: ${(err as Error).message}`;
  }
}

/** Writes a stand-in stack to `dir/main.tf.json`. */
export function writeStandIn(dir: string, config: StackJson): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "main.tf.json"), JSON.stringify(config, null, 2));
}

/**
 * What Terraform evaluated: each stand-in's output (its arguments plus stubs),
 * by original address (`name`, or `name["key"]` per instance of a for_each
 * resource), and the outputs.
 */
export interface Evaluated {
  readonly resource: Record<string, Record<string, any>>;
  readonly data: Record<string, Record<string, any>>;
  readonly provider: Record<string, any[]>;
  readonly outputs: Record<string, unknown>;
}

/** Reads `terraform show -json` of an applied stand-in stack back into the synthesized stack's addresses. */
export function evaluatedValues(dir: string, synthesized: StackJson): Evaluated {
  const shown = JSON.parse(mustTerraform(dir, ["show", "-json", "-no-color"]));
  // A resource with for_each or count has one entry per instance.
  const byName = new Map<string, { index?: string | number; output: any }[]>();
  for (const r of shown.values?.root_module?.resources ?? []) {
    if (r.type !== "terraform_data") continue;
    if (!byName.has(r.name)) byName.set(r.name, []);
    byName.get(r.name)!.push({ index: r.index, output: r.values?.output });
  }
  const pick = (kind: "resource" | "data", section: Record<string, Record<string, any>> | undefined) =>
    Object.fromEntries(
      Object.entries(section ?? {})
        .filter(([type]) => type !== "terraform_remote_state")
        .map(([type, names]) => [
          type,
          Object.fromEntries(
            Object.entries(names).flatMap(([name, body]) => {
              const instances = byName.get(standInName(kind, type, name)) ?? [];
              if (!hasInstances(body)) return [[name, instances[0]?.output]];
              return instances.map((i) => [`${name}[${JSON.stringify(i.index)}]`, i.output]);
            }),
          ),
        ]),
    );
  const provider = Object.fromEntries(
    Object.entries<any>(synthesized.provider ?? {}).map(([name, blocks]) => [name, (Array.isArray(blocks) ? blocks : [blocks]).map((_b, i) => byName.get(`provider__${name}__${i}`)?.[0]?.output)]),
  );
  const outputs = Object.fromEntries(Object.entries<any>(shown.values?.outputs ?? {}).map(([k, v]) => [k, v.value]));
  return { resource: pick("resource", synthesized.resource), data: pick("data", synthesized.data), provider, outputs };
}
