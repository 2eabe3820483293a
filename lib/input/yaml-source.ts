import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";
import { MAX_QUOTED_CHARS, oneLine, quote } from "./safe-text";
import { isAlias, LineCounter, parseDocument, visit, type Document, type Node } from "yaml";

export type FieldPath = ReadonlyArray<string | number>;

/** One problem in a user-edited data file, placed by file, line and field. */
export interface Problem {
  readonly file: string;
  readonly line?: number;
  /** Dotted field path, e.g. `homePublicCidrs[0]` or `machines[2].mac`. */
  readonly field: string;
  readonly message: string;
  /** A list entry's name, when known: the machine (`machines[i]`) or peer (`peers[i]`) the field belongs to. */
  readonly entry?: string;
}

export function formatPath(path: FieldPath): string {
  return path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${key}` : key), "");
}

/** What an entry of each named list is called in messages (docs/architecture.md, "Glossary"). */
const ENTRY_NOUNS: Readonly<Record<string, string>> = { machines: "machine", peers: "peer" };

/**
 * One problem as one line: every part through the one escaping rule
 * (lib/input/safe-text.ts), so a value from a data file can neither start a
 * line of its own nor a workflow command.
 */
export function formatProblem(p: Problem): string {
  const where = p.line ? `${p.file}:${p.line}` : p.file;
  const noun = ENTRY_NOUNS[/^(\w+)\[/.exec(p.field)?.[1] ?? ""] ?? "entry";
  const entry = p.entry ? ` ${noun} ${quote(p.entry)}:` : "";
  return oneLine(`${where}:${entry} ${oneLine(p.field, MAX_QUOTED_CHARS) || "(document)"}: ${p.message}`);
}

/** Thrown when a data file is invalid; carries every problem found, not just the first. */
export class DataFileError extends Error {
  constructor(
    readonly kind: string,
    readonly problems: readonly Problem[],
  ) {
    super(`${oneLine(kind)} is invalid (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  ${formatProblem(p)}`).join("\n")}`);
    this.name = "DataFileError";
  }
}

/**
 * The largest data file read (site settings, peers, inventory, cdktf.json):
 * real ones are a few kilobytes, so anything near this is a mistake (a log or
 * an image named by accident) or an attempt to exhaust memory.
 */
export const MAX_DATA_FILE_BYTES = 1024 * 1024;

/**
 * YAML alias expansions allowed per document: the `yaml` library's
 * `maxAliasCount` option of `toJS` (node_modules/yaml/dist/options.d.ts:
 * "Prevent exponential entity expansion attacks by limiting data aliasing
 * count"). Enough to reuse a value a few times; far too few for an alias bomb
 * (ten aliases of ten aliases of ... expand exponentially).
 */
export const MAX_YAML_ALIAS_EXPANSIONS = 100;

function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB (${bytes} bytes)`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB (${bytes} bytes)`;
  return `${bytes} bytes`;
}

/** What a path is when it is not a regular file, for "is …, not a regular file". */
export function kindOf(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * Reads a small text file a user names: a regular file only (a device such as
 * /dev/zero never ends, a FIFO blocks forever) of at most `limit` bytes. The
 * file is checked before it is opened, opened without blocking, and checked
 * again through the open descriptor, so swapping it in between does not help.
 * Returns the text, or why it was refused (with the errno code when the file
 * could not be read at all).
 */
export function readSmallTextFile(file: string, limit: number = MAX_DATA_FILE_BYTES): { text: string } | { error: string; code?: string } {
  const allowed = `allowed: a regular file of at most ${sizeText(limit)}`;
  const refuse = (st: Stats): { error: string } | undefined => {
    if (!st.isFile()) return { error: `is ${kindOf(st)}, not a regular file; ${allowed}` };
    if (st.size > limit) return { error: `is ${st.size} bytes, over the limit; ${allowed}` };
    return undefined;
  };
  let fd: number | undefined;
  try {
    const before = refuse(statSync(file));
    if (before) return before;
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const after = refuse(fstatSync(fd));
    if (after) return after;
    // Read at most one byte past the limit: a file that grew after fstat is still refused.
    const buffer = Buffer.alloc(limit + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > limit) return { error: `grew past ${limit} bytes while being read; ${allowed}` };
    return { text: buffer.subarray(0, length).toString("utf8") };
  } catch (err) {
    return { error: `cannot read file: ${(err as Error).message}`, code: (err as NodeJS.ErrnoException).code };
  } finally {
    if (fd !== undefined) closeSync(fd);
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
    const read = readSmallTextFile(file);
    if ("error" in read) throw new DataFileError(displayName, [{ file: displayName, field: "", message: read.error }]);
    return YamlSource.parse(read.text, displayName);
  }

  static parse(text: string, displayName: string): YamlSource {
    const bytes = Buffer.byteLength(text, "utf8");
    if (bytes > MAX_DATA_FILE_BYTES) {
      throw new DataFileError(displayName, [
        { file: displayName, field: "", message: `is ${bytes} bytes, over the limit; allowed: a regular file of at most ${sizeText(MAX_DATA_FILE_BYTES)}` },
      ]);
    }
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
    const source = new YamlSource(displayName, doc, lines);
    if (doc.errors.length > 0) {
      throw new DataFileError(
        displayName,
        doc.errors.map((e) => ({ file: displayName, line: e.pos ? lines.linePos(e.pos[0]).line : undefined, field: "", message: `YAML syntax: ${e.message.split("\n")[0]}` })),
      );
    }
    return source;
  }

  /**
   * The plain JavaScript value of the document. Alias expansion happens here,
   * so its failures (too many expansions, an alias before its anchor) are
   * reported as problems of the file, not thrown as crashes.
   */
  value(): unknown {
    try {
      return this.doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_EXPANSIONS });
    } catch (err) {
      const message = (err as Error).message;
      const tooMany = /excessive alias count/i.test(message);
      throw new DataFileError(this.file, [
        {
          file: this.file,
          line: this.firstAliasLine(),
          field: "",
          message: tooMany
            ? `YAML aliases (*name) expand to more than ${MAX_YAML_ALIAS_EXPANSIONS} values, as an alias bomb does; allowed: at most ${MAX_YAML_ALIAS_EXPANSIONS} alias expansions per file: write repeated values out instead`
            : `YAML alias: ${message.split("\n")[0]}`,
        },
      ]);
    }
  }

  private firstAliasLine(): number | undefined {
    let line: number | undefined;
    visit(this.doc, {
      Alias: (_key, node) => {
        if (isAlias(node) && node.range) line = this.lines.linePos(node.range[0]).line;
        return visit.BREAK;
      },
    });
    return line;
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
