// CI: the committed explorer/static/claim.js is what the sources build to.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const path = new URL("../static/claim.js", import.meta.url);
const committed = readFileSync(path, "utf8");
execFileSync("npm", ["run", "--silent", "build"], { stdio: "inherit" });
if (readFileSync(path, "utf8") !== committed) {
  console.error("explorer/static/claim.js is stale: run `npm run build` in explorer/web and commit it");
  process.exit(1);
}
console.log("explorer/static/claim.js is up to date with explorer/web/src");
