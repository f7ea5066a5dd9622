#!/usr/bin/env bash
# Validates the served OpenAPI document with two independent third-party tools:
# Redocly CLI (recommended ruleset) and @apidevtools/swagger-parser. Exits 77 (ctest: skipped)
# only when Node.js/npm are missing or the npm registry cannot be reached.
set -euo pipefail
kyconnect=$1
work=$2
tools=${KYC_NPM_TOOLS:-$work/npm-tools}
mkdir -p "$work"
command -v node >/dev/null && command -v npm >/dev/null || { echo "node/npm not found: skipping"; exit 77; }
if [ ! -x "$tools/node_modules/.bin/redocly" ] || [ ! -d "$tools/node_modules/@apidevtools/swagger-parser" ]; then
  npm install --no-audit --no-fund --silent --prefix "$tools" @redocly/cli@2.77.0 @apidevtools/swagger-parser@10 \
    || { echo "npm registry unreachable: skipping"; exit 77; }
fi
QT_QPA_PLATFORM=offscreen "$kyconnect" admin openapi > "$work/openapi.json"
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -ge 20 ]; then
  "$tools/node_modules/.bin/redocly" lint --format=stylish "$work/openapi.json" 2>&1 | grep -v -E '^\s*(║|╔|╚)'
else
  echo "Node.js $node_major is too old for Redocly CLI 2; validating with swagger-parser only"
fi
NODE_PATH="$tools/node_modules" node -e '
  const SwaggerParser = require("@apidevtools/swagger-parser");
  SwaggerParser.validate(process.argv[1])
    .then(api => { console.log("swagger-parser: valid, " + Object.keys(api.paths).length + " paths"); })
    .catch(e => { console.error("swagger-parser: INVALID: " + e.message); process.exit(1); });
' "$work/openapi.json"
