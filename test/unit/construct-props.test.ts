import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

// Issue #15: every property of a construct's exported `...Props` interface
// says what it is in a TSDoc comment, and every optional one states, with
// `@default`, what the construct does when it is left out.

const ROOT = path.resolve(__dirname, "../..");
const CONSTRUCTS = path.join(ROOT, "constructs");

/** Repository-relative paths of constructs/**\/*.ts, sorted. */
function constructSources(dir = CONSTRUCTS): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...constructSources(full));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) files.push(path.relative(ROOT, full).split(path.sep).join("/"));
  }
  return files.sort();
}

const isExported = (node: ts.InterfaceDeclaration) => node.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ?? false;

interface PropsReport {
  /** `file: Interface.property: what is missing` per undocumented property. */
  readonly problems: string[];
  /** Names of the exported `...Props` interfaces checked. */
  readonly interfaces: string[];
  /** Properties checked, over all those interfaces. */
  readonly properties: number;
}

/** Checks the exported `...Props` interfaces of one source file. */
function checkPropsDocs(fileName: string, source: string): PropsReport {
  const sourceFile = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const problems: string[] = [];
  const interfaces: string[] = [];
  let properties = 0;
  for (const statement of sourceFile.statements) {
    if (!ts.isInterfaceDeclaration(statement) || !isExported(statement) || !statement.name.text.endsWith("Props")) continue;
    const iface = statement.name.text;
    interfaces.push(iface);
    for (const member of statement.members) {
      properties++;
      const name = member.name ? member.name.getText(sourceFile) : "(unnamed member)";
      const line = sourceFile.getLineAndCharacterOfPosition(member.getStart(sourceFile)).line + 1;
      const where = `${fileName}:${line}: ${iface}.${name}`;
      const docs = ts.getJSDocCommentsAndTags(member).filter(ts.isJSDoc);
      const description = docs.map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? "").join("").trim();
      if (docs.length === 0) {
        problems.push(`${where}: no doc comment`);
      } else if (description === "") {
        problems.push(`${where}: the doc comment does not say what the property is (tags only)`);
      }
      const optional = ts.isPropertySignature(member) || ts.isMethodSignature(member) ? member.questionToken !== undefined : false;
      if (optional) {
        const defaults = ts.getJSDocTags(member).filter((tag) => tag.tagName.text === "default");
        if (defaults.length === 0) problems.push(`${where}: optional property without an @default tag`);
        else if (defaults.every((tag) => (ts.getTextOfJSDocComment(tag.comment) ?? "").trim() === "")) problems.push(`${where}: empty @default tag`);
      }
    }
  }
  return { problems, interfaces, properties };
}

/** Names of the `...Props` types that construct constructors take (`props: XProps`). */
function constructorPropsTypes(fileName: string, source: string): string[] {
  const sourceFile = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const names: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isConstructorDeclaration(node)) {
      for (const param of node.parameters) {
        if (param.type && ts.isTypeReferenceNode(param.type) && ts.isIdentifier(param.type.typeName) && param.type.typeName.text.endsWith("Props")) {
          names.push(param.type.typeName.text);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return names;
}

describe("construct Props documentation", () => {
  const files = constructSources();
  const reports = files.map((file) => ({ file, source: readFileSync(path.join(ROOT, file), "utf8") })).map(({ file, source }) => ({
    file,
    source,
    report: checkPropsDocs(file, source),
  }));

  test("every Props property has a doc comment, and every optional one an @default", () => {
    expect(reports.flatMap(({ report }) => report.problems)).toEqual([]);
  });

  test("the check reaches every construct's Props interface, in constructs/ and its subdirectories", () => {
    const checked = new Set(reports.flatMap(({ report }) => report.interfaces));
    const taken = reports.flatMap(({ file, source }) => constructorPropsTypes(file, source).map((name) => ({ file, name })));
    expect(taken.length).toBeGreaterThan(0);
    // A constructor whose props type is not an exported interface checked here
    // (a type alias, an unexported interface) would escape the check.
    expect(taken.filter(({ name }) => !checked.has(name))).toEqual([]);
    expect(files).toContain("constructs/matchbox-server/index.ts");
    expect(checked).toContain("MatchboxServerProps");
    expect(reports.reduce((sum, { report }) => sum + report.properties, 0)).toBeGreaterThan(0);
  });

  test("the detector flags missing doc comments and @default tags (self-check)", () => {
    const sample = [
      "export interface SampleProps {",
      "  /** Documented and required: fine. */",
      "  readonly documented: string;",
      "  readonly undocumented: string;",
      "  /** Optional, but no default stated. */",
      "  readonly noDefault?: number;",
      "  /** @default 3 */",
      "  readonly tagOnly?: number;",
      "  /**",
      "   * Optional with an empty tag.",
      "   * @default",
      "   */",
      "  readonly emptyDefault?: number;",
      "  // A line comment is no doc comment.",
      "  readonly lineComment?: boolean;",
      "  /**",
      "   * Optional and documented: fine.",
      "   * @default - no alert policy",
      "   */",
      "  readonly fine?: boolean;",
      "}",
      "interface InternalProps { readonly notExported: string }",
      "export interface Settings { readonly notProps: string }",
      "export class Sample { constructor(_props: SampleProps, _other: InternalProps) {} }",
    ].join("\n");
    const report = checkPropsDocs("sample.ts", sample);
    expect(report.interfaces).toEqual(["SampleProps"]);
    expect(report.properties).toBe(7);
    expect(report.problems).toEqual([
      "sample.ts:4: SampleProps.undocumented: no doc comment",
      "sample.ts:6: SampleProps.noDefault: optional property without an @default tag",
      "sample.ts:8: SampleProps.tagOnly: the doc comment does not say what the property is (tags only)",
      "sample.ts:13: SampleProps.emptyDefault: empty @default tag",
      "sample.ts:15: SampleProps.lineComment: no doc comment",
      "sample.ts:15: SampleProps.lineComment: optional property without an @default tag",
    ]);
    // The coverage check sees a constructor's props type that is not a checked interface.
    expect(constructorPropsTypes("sample.ts", sample)).toEqual(["SampleProps", "InternalProps"]);
  });
});
