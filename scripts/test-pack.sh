#!/usr/bin/env bash
# The packages as a user gets them: pack every publishable package, install the tarballs into a
# scratch project OUTSIDE the repository with npm and with pnpm (effect and the rest come from the
# registry), typecheck a small app there under NodeNext and Bundler resolution, run it with plain
# node, and check that the in-process entry points load no gRPC, protobuf, OTel SDK or Langfuse.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
PNPM=(npx -y pnpm@10.34.9)
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
step() { printf '\n--> %s\n' "$*"; }

step "packaging convention (scripts/packages.mjs check)"
node "$repo/scripts/packages.mjs" check

step "pack (prepack builds each package)"
mkdir "$scratch/tarballs"
packages=$(node --input-type=module -e 'import { publishablePackages } from "'"$repo"'/scripts/packages.mjs"; console.log(publishablePackages().join("\n"))')
for dir in $packages; do (cd "$dir" && "${PNPM[@]}" pack --pack-destination "$scratch/tarballs" | tail -1); done

# The app's manifest: the tarballs, Effect pinned by the app (the packages only peer it), overrides so
# the packages' own @aixfx/* dependencies resolve to the tarballs too.
write_app() {
  local dir="$1"
  mkdir -p "$dir"
  cp -r "$repo/scripts/pack-app/." "$dir/"
  cp "$repo/scripts/lib/"*.mjs "$dir/"
  node --input-type=module - "$dir" "$scratch/tarballs" <<'JS'
import { readdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
const [dir, tarballs] = process.argv.slice(2)
const aixfx = Object.fromEntries(readdirSync(tarballs).map((file) => [`@aixfx/${file.replace(/^aixfx-/, "").replace(/-\d+\.\d+\.\d+\.tgz$/, "")}`, `file:${join(tarballs, file)}`]))
writeFileSync(join(dir, "package.json"), JSON.stringify({
  name: "aixfx-pack-app", private: true, type: "module",
  dependencies: { ...aixfx, effect: "3.22.4", "@effect/platform": "0.97.2", "@effect/opentelemetry": "0.64.1" },
  devDependencies: { typescript: "5.9.3", "@types/node": "20.19.25" },
  overrides: aixfx,
  pnpm: { overrides: aixfx }
}, null, 2))
JS
}

check_app() {
  local dir="$1"
  (
    cd "$dir"
    ./node_modules/.bin/tsc -p tsconfig.nodenext.json
    ./node_modules/.bin/tsc -p tsconfig.bundler.json
    echo "typechecked under NodeNext and Bundler"
    node dist/main.js
    AIXFX_RECORD_IMPORTS="$dir/imports.txt" node --import ./record-imports.mjs check-light.mjs
  )
}

step "install with npm into $scratch/npm"
write_app "$scratch/npm"
# npm must not take the npm_* variables pnpm sets for its own scripts as its config.
(cd "$scratch/npm" && env $(env | grep -o '^npm_[^=]*' | sed 's/^/-u /') npm install --no-audit --no-fund --loglevel=error)
check_app "$scratch/npm"

step "install with pnpm into $scratch/pnpm"
write_app "$scratch/pnpm"
(cd "$scratch/pnpm" && "${PNPM[@]}" install --config.ignore-workspace=true --reporter=append-only | tail -3)
check_app "$scratch/pnpm"

echo "test:pack passed"
