import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import siteSchema from "../../sites/site.schema.json";
import { REPO_ROOT, type SiteSettings } from "../../lib/input/settings";

// The settings' TypeScript type is generated from sites/site.schema.json
// (scripts/gen-site-types.js, `npm run gen:site-types`) and committed.

// json-schema-to-typescript loads prettier even with `format: false`
// (bcherny/json-schema-to-typescript#679), and prettier 3's CommonJS entry
// starts with a dynamic import() that jest's module sandbox refuses
// (jestjs/jest#15816). The generator never formats, so a stub stands in.
jest.doMock(require.resolve("prettier", { paths: [require.resolve("json-schema-to-typescript")] }), () => ({
  format: () => {
    throw new Error("prettier is stubbed in this test; scripts/gen-site-types.js must keep format: false");
  },
}));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const generator = require("../../scripts/gen-site-types.js") as {
  generateSiteSettingsType(schema?: object): Promise<string>;
  OUTPUT_FILE: string;
  COMMAND: string;
};

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  required?: string[];
  default?: unknown;
  description?: string;
}

interface SchemaProperty {
  path: string;
  required: boolean;
  hasDefault: boolean;
  /** Validation guarantees it: the schema requires it, or ajv fills it from its default. */
  present: boolean;
  description?: string;
}

/** Every property reachable through nested `properties`, by dotted path. */
function schemaProperties(node: SchemaNode, prefix = ""): SchemaProperty[] {
  return Object.entries(node.properties ?? {}).flatMap(([key, sub]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    const required = (node.required ?? []).includes(key);
    const hasDefault = "default" in sub;
    return [{ path, required, hasDefault, present: required || hasDefault, description: sub.description }, ...schemaProperties(sub, path)];
  });
}

/** Whether each property path of the generated root interface is optional (`?`), read from the TypeScript syntax tree. */
function generatedOptionality(text: string): Map<string, boolean> {
  const file = ts.createSourceFile("site-settings.generated.ts", text, ts.ScriptTarget.ES2022, true);
  const result = new Map<string, boolean>();
  const walk = (members: ts.NodeArray<ts.TypeElement>, prefix: string[]) => {
    for (const member of members) {
      if (!ts.isPropertySignature(member) || !member.name) continue;
      const name = ts.isIdentifier(member.name) || ts.isStringLiteral(member.name) ? member.name.text : member.name.getText(file);
      const path = [...prefix, name];
      result.set(path.join("."), member.questionToken !== undefined);
      if (member.type && ts.isTypeLiteralNode(member.type)) walk(member.type.members, path);
    }
  };
  const roots = file.statements.filter(ts.isInterfaceDeclaration);
  expect(roots.map((r) => r.name.text)).toEqual(["NetbootSiteSettings"]);
  walk(roots[0].members, []);
  return result;
}

describe("the site settings type is generated from the JSON Schema", () => {
  let generated: string;
  beforeAll(async () => {
    generated = await generator.generateSiteSettingsType();
  });

  test("the committed lib/input/site-settings.generated.ts is what the schema generates", () => {
    const committed = readFileSync(join(REPO_ROOT, generator.OUTPUT_FILE), "utf8");
    if (committed !== generated) {
      throw new Error(`${generator.OUTPUT_FILE} is stale: it differs from what sites/site.schema.json generates; run \`${generator.COMMAND}\` and commit the result`);
    }
  });

  test("a property with a default is required (ajv's useDefaults fills it); one without a default, not required by the schema, is optional", () => {
    const expected = schemaProperties(siteSchema as SchemaNode);
    const optional = generatedOptionality(generated);
    // One of each kind, picked from the schema as it is today.
    const withDefault = expected.find((p) => p.hasDefault && !p.required);
    const withoutDefault = expected.find((p) => !p.present && p.path !== "$schema");
    expect(withDefault).toBeDefined();
    expect(withoutDefault).toBeDefined();
    expect({ path: withDefault!.path, optional: optional.get(withDefault!.path) }).toEqual({ path: withDefault!.path, optional: false });
    expect({ path: withoutDefault!.path, optional: optional.get(withoutDefault!.path) }).toEqual({ path: withoutDefault!.path, optional: true });
    // And every property the same way: `?` exactly when validation does not guarantee it.
    expect(Object.fromEntries(optional)).toEqual(Object.fromEntries(expected.map((p) => [p.path, !p.present])));
  });

  test("the schema's descriptions are the doc comments", () => {
    const described = schemaProperties(siteSchema as SchemaNode).filter((p) => p.description);
    expect(described.length).toBeGreaterThan(0);
    expect(described.filter((p) => !generated.includes(` * ${p.description}\n`)).map((p) => p.path)).toEqual([]);
  });

  test("SiteSettings is readonly all the way down (checked by tsc --noEmit)", () => {
    const mutate = (s: SiteSettings) => {
      // @ts-expect-error a property is readonly
      s.namePrefix = "x";
      // @ts-expect-error a nested property too
      s.gke.nodeCount = 2;
      // @ts-expect-error and an array
      s.talos.kernelArgs.push("x");
      // @ts-expect-error and an index signature
      s.bootVlanGateways["10.0.0.0/24"] = "10.0.0.1";
    };
    expect(mutate).toBeInstanceOf(Function);
  });
});
