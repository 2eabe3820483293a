/**
 * Terraform reads `${...}` and `%{...}` in every string as template syntax.
 * iPXE variables such as `${mac:hexhyp}` must reach Matchbox literally, so
 * they are written `$${...}`; Terraform turns that back into `${...}`.
 */
export function escapeTerraformTemplate(text: string): string {
  // A replacer function, because "$$" in a replacement string means one "$".
  return text.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
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
