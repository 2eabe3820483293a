// The shell commands of the documentation's code blocks, as a shell would
// split them: enough of POSIX sh's quoting to check a command's arguments
// offline (test/unit/docs-commands.test.ts). Not a shell: no expansion but
// variables the same block assigns, no pipes or redirections evaluated.

/** One command line of a fenced sh/bash block: its page, the block's line, and its words. */
export interface DocCommand {
  readonly page: string;
  readonly line: number;
  /** The command as written (continuation lines joined). */
  readonly text: string;
  readonly words: readonly string[];
}

/** The fenced ```sh / ```bash blocks of a Markdown page, with the line each starts on. */
export function shellBlocks(markdown: string): { line: number; body: string }[] {
  const out: { line: number; body: string }[] = [];
  const re = /^( *)```(sh|bash|shell)[^\n]*\n([\s\S]*?)^\1```[ \t]*$/gm;
  for (const m of markdown.matchAll(re)) {
    const indent = m[1].length;
    const body = m[3]
      .split("\n")
      .map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)))
      .join("\n");
    out.push({ line: markdown.slice(0, m.index).split("\n").length + 1, body });
  }
  return out;
}

/**
 * Splits `text` into simple commands and their words as sh does: '…' literal,
 * "…" with \" \\ \$ escapes, \x outside quotes, # starting a comment at a
 * word's start; unquoted | ; & ( ) end a command (so `a && b`, `(umask 077 && c)`
 * and `for … do c; done` yield each command). `vars` expands $NAME and
 * ${NAME} where known; unknown variables stay as written.
 */
export function shellSegments(text: string, vars: ReadonlyMap<string, string> = new Map()): string[][] {
  const segments: string[][] = [];
  let words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  const endWord = () => {
    if (inWord) words.push(word);
    word = "";
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) segments.push(words);
    words = [];
  };
  const expand = (): string => {
    const m = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(text.slice(i));
    if (!m) {
      i++;
      return "$";
    }
    i += m[0].length;
    const name = m[1] ?? m[2];
    return vars.get(name) ?? m[0];
  };
  while (i < text.length) {
    const c = text[i];
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in: ${text}`);
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      inWord = true;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && '"\\$`'.includes(text[i + 1])) {
          word += text[i + 1];
          i += 2;
        } else if (text[i] === "$" && text[i + 1] === "(") {
          // "$(…)": kept as written, its own quotes included.
          const end = substitutionEnd(text, i + 2);
          word += text.slice(i, end);
          i = end;
        } else if (text[i] === "$") word += expand();
        else word += text[i++];
      }
      if (text[i] !== '"') throw new Error(`unterminated " in: ${text}`);
      i++;
    } else if (c === "\\") {
      if (text[i + 1] !== "\n") {
        word += text[i + 1] ?? "";
        inWord = true;
      }
      i += 2;
    } else if (c === "$" && text[i + 1] === "(") {
      // Command substitution outside quotes: its command is one of its own.
      endCommand();
      i += 2;
    } else if (c === "$") {
      word += expand();
      inWord = true;
    } else if (/\s/.test(c)) {
      endWord();
      i++;
    } else if (c === "#" && !inWord) {
      const nl = text.indexOf("\n", i);
      i = nl < 0 ? text.length : nl;
    } else if ("|;&()".includes(c)) {
      endCommand();
      i++;
    } else if ("<>".includes(c)) {
      // A redirection: skip it and its target.
      endWord();
      i++;
      while (i < text.length && "<>&".includes(text[i])) i++;
      while (i < text.length && /\s/.test(text[i])) i++;
      while (i < text.length && !/\s/.test(text[i]) && !"|;&()".includes(text[i])) i++;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  endCommand();
  return segments;
}

/** Every simple command of a page's shell blocks (continuations joined), with the variables each block assigns before it expanded. */
export function docCommands(page: string, markdown: string): DocCommand[] {
  const out: DocCommand[] = [];
  for (const block of shellBlocks(markdown)) {
    const vars = new Map<string, string>();
    const lines = block.body.split("\n");
    for (let n = 0; n < lines.length; n++) {
      const start = n;
      let text = lines[n];
      while (text.endsWith("\\") && n + 1 < lines.length) text = `${text}\n${lines[++n]}`;
      // A here-document's body is data, not commands.
      const heredoc = /<<-?\s*'?([A-Za-z_]+)'?/.exec(text);
      if (heredoc) while (n + 1 < lines.length && lines[n + 1].trim() !== heredoc[1]) n++;
      const trimmed = text.trim();
      if (trimmed === "" || trimmed.startsWith("#")) continue;
      // NAME=value alone on its line (no command after it): remember it for the commands below it.
      const assign = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(trimmed);
      if (assign && !assign[2].startsWith("$(")) {
        const segments = shellSegments(assign[2], vars);
        if (segments.length === 1 && segments[0].length === 1) {
          vars.set(assign[1], segments[0][0]);
          continue;
        }
      }
      for (const words of shellSegments(trimmed, vars)) {
        // NAME=$(command): the command is the segment after the assignment word.
        if (words.length === 1 && /^[A-Za-z_][A-Za-z0-9_]*=$/.test(words[0])) continue;
        out.push({ page, line: block.line + start, text: trimmed, words });
      }
    }
  }
  return out;
}

/** The index after the `)` that closes a `$(` whose content starts at `from`, skipping quoted text. */
function substitutionEnd(text: string, from: number): number {
  let depth = 1;
  let i = from;
  while (i < text.length && depth > 0) {
    const c = text[i];
    if (c === "'") i = text.indexOf("'", i + 1) + 1 || text.length;
    else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
      i++;
    } else {
      if (c === "(") depth++;
      if (c === ")") depth--;
      i++;
    }
  }
  return i;
}
