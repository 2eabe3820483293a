import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import type { FieldPath, Problem, YamlSource } from "./yaml-source";

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true });
const compiled = new Map<object, ValidateFunction>();

/**
 * Validates `value` against a JSON Schema (and fills its defaults in place),
 * turning ajv's errors into problems that name the line, the field and what
 * is allowed.
 */
export function checkAgainstSchema(schema: object, value: unknown, source: YamlSource): Problem[] {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).filter((e) => e.keyword !== "if").map((e) => toProblem(e, source));
}

function toProblem(e: ErrorObject, source: YamlSource): Problem {
  const path: FieldPath = e.instancePath
    .split("/")
    .slice(1)
    .map((k) => k.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((k) => (/^\d+$/.test(k) ? Number(k) : k));
  const described = (e.parentSchema as { description?: string } | undefined)?.description;
  const hint = described ? ` (${described})` : "";
  const got = e.data === undefined || typeof e.data === "object" ? "" : ` got ${JSON.stringify(e.data)};`;
  switch (e.keyword) {
    case "required":
      return source.problem(path, `missing required field "${e.params.missingProperty}"`);
    case "additionalProperties": {
      const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {}).filter((k) => k !== "$schema");
      return source.problem([...path, e.params.additionalProperty], `unknown field; allowed here: ${allowed.join(", ")}`);
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
