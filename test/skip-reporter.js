// Prints every skipped test with its title (which carries the reason) at the
// end of the run, so a skip is never silent.
class SkipReporter {
  onRunComplete(_contexts, results) {
    const skipped = [];
    for (const file of results.testResults) {
      for (const t of file.testResults) {
        if (t.status === "pending" || t.status === "skipped") skipped.push(t.fullName);
      }
    }
    if (skipped.length === 0) return;
    const lines = skipped.map((name) => `  - ${name}`).join("\n");
    process.stderr.write(`\nSKIPPED TESTS (${skipped.length}); each title says why:\n${lines}\n\n`);
  }
}
module.exports = SkipReporter;
