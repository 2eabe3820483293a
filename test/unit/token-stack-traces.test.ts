import { TerraformOutput, TerraformStack, Testing, Token } from "cdktf";
import { skipTokenStackTraces } from "../../lib/commands/token-stack-traces";

// test/setup-token-stack-traces.ts has already applied the policy in this file's context, as main.ts does in the app.
describe("skipTokenStackTraces", () => {
  test("GIVEN a plain object (how cdktf records a token's creation) THEN its captured stack trace is empty", () => {
    const record = { stack: "" };
    Error.captureStackTrace(record);
    expect(record.stack).toBe("");
  });

  test("GIVEN a real error THEN its stack trace is formatted as before, source-mapped to this file", () => {
    const error = new Error("real");
    expect(error.stack).toMatch(/^Error: real\n\s+at .*token-stack-traces\.test\.ts:\d+/);
  });

  test("GIVEN it is applied twice THEN real errors still format once (the wrapper calls the formatter it replaced)", () => {
    skipTokenStackTraces();
    expect(new Error("twice").stack?.split("\n")[0]).toBe("Error: twice");
    const record = { stack: "" };
    Error.captureStackTrace(record);
    expect(record.stack).toBe("");
  });

  test("GIVEN a token that fails to resolve THEN cdktf still reports the error (without the token's creation trace)", () => {
    const stack = new TerraformStack(Testing.app(), "stack");
    const bad = Token.asString({
      resolve: () => {
        throw new Error("cannot resolve");
      },
    });
    new TerraformOutput(stack, "out", { value: bad });
    expect(() => Testing.synth(stack)).toThrow("cannot resolve");
  });
});
