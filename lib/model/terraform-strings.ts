/**
 * The one escaping rule for data that reaches Terraform.
 *
 * Terraform reads `${...}` and `%{...}` in every string of a configuration as
 * template syntax. Everything that comes from a file or from user input
 * (scripts, configs, rules, manifests, inventory and settings values, and
 * iPXE's own `${mac:hexhyp}`, which is data to Terraform) is data, so it is
 * escaped before it becomes a resource argument. Only references and `Fn.*`
 * calls stay unescaped.
 *
 * cdktf 0.21 has two cases (`escapeString` in cdktf's lib/tfExpression.js):
 * - a top-level literal argument is written to the JSON as it is: use
 *   {@link terraformLiteral} (`${` → `$${`, `%{` → `%%{`);
 * - a literal inside an `Fn.*` call is already `${`-escaped (and its newlines
 *   written `\n`) by cdktf, but its quotes, backslashes and `%{` are not: use
 *   {@link terraformFnLiteral}, never both, or `${` would be escaped twice.
 * `Fn.rawString` is not for file contents: it also rewrites newlines and quotes.
 */

/** A literal for a top-level resource, data source, provider or output argument. */
export function terraformLiteral(text: string): string {
  // A replacer function, because "$$" in a replacement string means one "$".
  return text.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
}

/** A literal passed as an argument of an `Fn.*` call (cdktf quotes it into an HCL string and escapes `${` itself). */
export function terraformFnLiteral(text: string): string {
  return text
    .replace(/\\/g, () => "\\\\")
    .replace(/"/g, () => '\\"')
    .replace(/%\{/g, () => "%%{");
}

/** Every string value of a flat map as a top-level literal (Kubernetes data, labels, Matchbox metadata). */
export function terraformLiteralMap(values: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [terraformLiteral(k), terraformLiteral(v)]));
}

/**
 * What Terraform makes of a literal string from the synthesized JSON: `$${` →
 * `${`, `%%{` → `%{`. An unescaped `${` or `%{` would be evaluated by
 * Terraform, so it is an error here (the value Matchbox stores would differ).
 */
export function terraformLiteralValue(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const two = text.slice(i, i + 2);
    const three = text.slice(i, i + 3);
    if (three === "$${" || three === "%%{") {
      out += three.slice(1);
      i += 2;
    } else if (two === "${" || two === "%{") {
      throw new Error(
        `Terraform would evaluate "${text.slice(i, i + 24)}..." in ${JSON.stringify(text)}: an iPXE variable must be written ` + "$${...} in the Terraform configuration",
      );
    } else {
      out += text[i];
    }
  }
  return out;
}
