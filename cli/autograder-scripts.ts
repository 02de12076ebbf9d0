/**
 * The two scripts of the Gradescope autograder zip. Gradescope unpacks the zip into
 * /autograder/source, runs setup.sh once when the image is built, and for each submission
 * runs run_autograder with the student's files in /autograder/submission; the score is what
 * /autograder/results/results.json says.
 */

/** setup.sh: Node 20 and the locked packages. */
export function setupScript(): string {
  return `#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
cd "$(dirname "$0")"
major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(major)" != "20" ]; then
  apt-get update -qq
  apt-get install -y -qq nodejs npm >/dev/null
  # The distribution's Node is often older: n installs Node 20 beside it.
  npm install -g n >/dev/null
  n 20 >/dev/null
  hash -r
fi
echo "node $(node --version)"
npm ci --no-audit --no-fund
`;
}

/** run_autograder: put the submitted files in place, grade the parts, always leave a results.json. */
export function runAutograderScript(parts: string[], studentFiles: string[]): string {
  return `#!/usr/bin/env bash
# Gradescope runs this for each submission. AUTOGRADER_ROOT replaces /autograder (to try it locally).
set -uo pipefail
ROOT="\${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
SUBMISSION="$ROOT/submission"
RESULTS="$ROOT/results"
mkdir -p "$RESULTS"
cd "$SOURCE"

# The student files: at their path in the repository, or by their name at the top of the submission.
notes=""
for file in ${studentFiles.map((f) => `'${f}'`).join(' ')}; do
  name="$(basename "$file")"
  if [ -f "$SUBMISSION/$file" ]; then
    cp "$SUBMISSION/$file" "$file"
  elif [ -f "$SUBMISSION/$name" ]; then
    cp "$SUBMISSION/$name" "$file"
  else
    notes="$notes$file is not in the submission: the skeleton's is used. "
  fi
done

node cli/lab.mjs grade ${parts.join(' ')} --format gradescope --out "$RESULTS/results.json" > "$RESULTS/grade.log" 2>&1
code=$?
cat "$RESULTS/grade.log"
if [ ! -s "$RESULTS/results.json" ]; then
  # Grading itself failed (the code does not load, for instance): a zero that says why.
  node -e '
    const fs = require("fs");
    const [out, log, notes, code] = process.argv.slice(1);
    const text = fs.readFileSync(log, "utf8").slice(-20000);
    fs.writeFileSync(out, JSON.stringify({ score: 0, output: notes + "grading failed (exit code " + code + "):\\n" + text }, null, 2));
  ' "$RESULTS/results.json" "$RESULTS/grade.log" "$notes" "$code"
elif [ -n "$notes" ]; then
  node -e '
    const fs = require("fs");
    const [out, notes] = process.argv.slice(1);
    const r = JSON.parse(fs.readFileSync(out, "utf8"));
    r.output = notes + (r.output || "");
    fs.writeFileSync(out, JSON.stringify(r, null, 2));
  ' "$RESULTS/results.json" "$notes"
fi
exit 0
`;
}
