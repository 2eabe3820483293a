/**
 * cdktf records a full stack trace for every token it creates, as a string on
 * a plain object (not an Error), in case a token later fails to resolve.
 * Formatting those frames (through source maps under tsx or jest) was most of
 * the time of synthesizing a large inventory, and of a test file's first
 * synth. After this call only real errors get formatted stack traces (as
 * before, through whatever formatter was installed); cdktf's token traces are
 * empty. Errors from another realm (jest runs tests in a vm context) count as
 * errors too.
 */
export function skipTokenStackTraces(): void {
  const format = Error.prepareStackTrace;
  Error.prepareStackTrace = (error, frames) => {
    if (!(error instanceof Error) && Object.prototype.toString.call(error) !== "[object Error]") return "";
    return format ? format(error, frames) : `${String(error)}\n${frames.map((f) => `    at ${f}`).join("\n")}`;
  };
}
