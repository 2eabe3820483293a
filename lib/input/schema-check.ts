import type { ErrorObject, ValidateFunction } from "ajv";
import { quote } from "./safe-text";
import ajvOptions from "./ajv-options.json";
import { DataFileError, type FieldPath, type Problem, type YamlSource } from "./yaml-source";

/**
 * The commands' bundle (scripts/build.js) carries the schemas' validators
 * compiled ahead of time by ajv's standalone code generator, keyed by `$id`,
 * with the same options: compiling them at start was a third of `validate`'s
 * time. Under tsx and jest the module does not exist, and ajv compiles them
 * here, as it always did.
 */
function precompiledValidators(): Readonly<Record<string, ValidateFunction>> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("netboot-precompiled-schemas") as Record<string, ValidateFunction>;
  } catch {
    return {};
  }
}

const precompiled = precompiledValidators();
const compiled = new Map<object, ValidateFunction>();
let ajv: import("ajv").default | undefined;

function validatorFor(schema: object): ValidateFunction {
  const id = (schema as { $id?: string }).$id;
  const ready = (id && precompiled[id]) || compiled.get(schema);
  if (ready) return ready;
  if (!ajv) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Ajv = require("ajv").default as typeof import("ajv").default;
    ajv = new Ajv(ajvOptions);
  }
  const validate = ajv.compile(schema);
  compiled.set(schema, validate);
  return validate;
}

/**
 * Validates `value` against a JSON Schema (and fills its defaults in place),
 * turning ajv's errors into problems that name the line, the field and what
 * is allowed.
 */
export function checkAgainstSchema(schema: object, value: unknown, source: YamlSource): Problem[] {
  const validate = validatorFor(schema);
  if (validate(value)) return [];
  return (validate.errors ?? []).filter((e) => e.keyword !== "if").map((e) => toProblem(e, source));
}

/**
 * Fields an earlier version of netboot read and this one does not, by dotted
 * path: an upgrading site gets what to do instead of "unknown field".
 */
export type RetiredFields = Readonly<Record<string, string>>;

const UNKNOWN_FIELD = "unknown field";

/**
 * The one way a YAML data file becomes a value: its document, checked against
 * its JSON Schema (defaults filled in), then by `check` (the rules a schema
 * cannot express); every problem of a stage at once, as a DataFileError
 * naming `kind` and the file. (The inventory goes further: it checks the
 * entries the schema accepted even when others failed.)
 */
export function validatedDocument<T>(source: YamlSource, schema: object, kind: string, check: (value: T) => Problem[], retired: RetiredFields = {}): T {
  const value = source.value() ?? {};
  const schemaProblems = checkAgainstSchema(schema, value, source).map((p) => (retired[p.field] && p.message.startsWith(UNKNOWN_FIELD) ? { ...p, message: retired[p.field] } : p));
  if (schemaProblems.length > 0) throw new DataFileError(`${kind} ${source.file}`, schemaProblems);
  const problems = check(value as T);
  if (problems.length > 0) throw new DataFileError(`${kind} ${source.file}`, problems);
  return value as T;
}

function toProblem(e: ErrorObject, source: YamlSource): Problem {
  const path: FieldPath = e.instancePath
    .split("/")
    .slice(1)
    .map((k) => k.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((k) => (/^\d+$/.test(k) ? Number(k) : k));
  const described = (e.parentSchema as { description?: string } | undefined)?.description;
  const hint = described ? ` (${described})` : "";
  const got = e.data === undefined || typeof e.data === "object" ? "" : ` got ${quote(e.data)};`;
  switch (e.keyword) {
    case "required":
      return source.problem(path, `missing required field "${e.params.missingProperty}"`);
    case "additionalProperties": {
      const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {}).filter((k) => k !== "$schema");
      return source.problem([...path, e.params.additionalProperty], `${UNKNOWN_FIELD}; allowed here: ${allowed.join(", ")}`);
    }
    case "enum":
      return source.problem(path, `${got.trim()} allowed: ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`.trim());
    case "pattern":
      return source.problem(path, `${got} does not have the expected form${hint}`.trim());
    case "type":
      return source.problem(path, `${got} must be of type ${e.params.type}${hint}`.trim());
    default:
      return source.problem(path, `${got} ${e.message ?? "is invalid"}${hint}`.trim());
  }
}
