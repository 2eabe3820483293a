// Builds dist/ once before a jest run (nothing when it is up to date): the
// tests run the commands and the app as npm scripts and cdktf do, from the bundle.
module.exports = async () => {
  await require("../scripts/build.js").build();
};
