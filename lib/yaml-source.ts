import { readFileSync } from "node:fs";
import { LineCounter, parseDocument, type Document, type Node } from "yaml";

export type FieldPath = ReadonlyArray<string | number>;

/** One problem in a user-edited data file, placed by file, line and field. */
export interface Problem {
  readonly file: string;
  readonly line?: number;
  /** Dotted field path, e.g. `homePublicCidrs[0]` or `machines[2].mac`. */
  readonly field: string;
  readonly message: string;
  /** Inventory entries: the machine's name, when known. */
  readonly entry?: string;
}

export function formatPath(path: FieldPath): string {
  return path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${key}` : key), "");
}

export function formatProblem(p: Problem): string {
  const where = p.line ? `${p.file}:${p.line}` : p.file;
  const entry = p.entry ? ` machine "${p.entry}":` : "";
  return `${where}:${entry} ${p.field || "(document)"}: ${p.message}`;
}

/** Thrown when a data file is invalid; carries every problem found, not just the first. */
export class DataFileError extends Error {
  constructor(
    readonly kind: string,
    readonly problems: readonly Problem[],
  ) {
    super(`${kind} is invalid (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  ${formatProblem(p)}`).join("\n")}`);
    this.name = "DataFileError";
  }
}

/**
 * A parsed YAML (or JSON) file that remembers where each value came from, so
 * semantic errors found after parsing can still name the line.
 */
export class YamlSource {
  private constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  static read(file: string, displayName = file): YamlSource {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new DataFileError(displayName, [{ file: displayName, field: "", message: `cannot read file: ${(err as Error).message}` }]);
    }
    return YamlSource.parse(text, displayName);
  }

  static parse(text: string, displayName: string): YamlSource {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
    const source = new YamlSource(displayName, doc, lines);
    if (doc.errors.length > 0) {
      throw new DataFileError(
        displayName,
        doc.errors.map((e) => ({ file: displayName, line: lines.linePos(e.pos[0]).line, field: "", message: `YAML syntax: ${e.message.split("\n")[0]}` })),
      );
    }
    return source;
  }

  /** The plain JavaScript value of the document. */
  value(): unknown {
    return this.doc.toJS();
  }

  /** The 1-based line of the value at `path`, or of its nearest existing parent. */
  lineOf(path: FieldPath): number | undefined {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = this.doc.getIn(path.slice(0, depth), true) as Node | undefined;
      const range = node?.range;
      if (range) return this.lines.linePos(range[0]).line;
    }
    return undefined;
  }

  problem(path: FieldPath, message: string, entry?: string): Problem {
    return { file: this.file, line: this.lineOf(path), field: formatPath(path), message, entry };
  }
}
