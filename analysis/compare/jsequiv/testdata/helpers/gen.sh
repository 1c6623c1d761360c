#!/bin/sh
# Regenerates testdata/helpers/out from src/*.ts with several TypeScript releases (run by hand, never by tests).
# TypeScript is installed OUTSIDE the repository, e.g.:
#   npm install --prefix /tmp/tsvers ts41@npm:typescript@4.1.6 ts49@npm:typescript@4.9.5 \
#     ts52@npm:typescript@5.2.2 ts55@npm:typescript@5.5.4 ts56@npm:typescript@5.6.3 ts59@npm:typescript@5.9.3
# then: TSVERS=/tmp/tsvers/node_modules sh gen.sh ; and regenerate knownhelpers.go with
#   JSEQUIV_WRITE_HELPERS=1 go test ./analysis/compare/jsequiv -run TestKnownHelpersInSync
set -e
cd "$(dirname "$0")"
rm -rf out
for v in ts41 ts49 ts52 ts55 ts56 ts59; do
  tsc="$TSVERS/$v/bin/tsc"
  lib=es2022,esnext,dom
  case $v in ts41) lib=es2020,esnext,dom ;; esac
  common="--lib $lib --skipLibCheck --noEmitOnError false --esModuleInterop --types --rootDir src"
  "$tsc" $common --target es5 --module commonjs --experimentalDecorators --emitDecoratorMetadata --downlevelIteration --outDir out/$v-es5 src/core.ts >/dev/null || true
  "$tsc" $common --target es2017 --module commonjs --experimentalDecorators --emitDecoratorMetadata --outDir out/$v-es2017 src/core.ts >/dev/null || true
  "$tsc" $common --target es2020 --module es2020 --experimentalDecorators --outDir out/$v-es2020 src/core.ts >/dev/null || true
  case $v in ts41|ts49) ;; *)
    "$tsc" $common --target es2020 --module es2020 --outDir out/$v-es2020m src/modern.ts >/dev/null || true ;;
  esac
  case $v in ts59)
    "$tsc" $common --target es2022 --module commonjs --rewriteRelativeImportExtensions --outDir out/$v-es2022 src/modern.ts >/dev/null || true ;;
  esac
done
# Keep only the helper prologue of each output (all the tests read).
for f in out/*/*.js; do
  awk 'NR==1 && /^"use strict"/ {print; next} /^var __|^[ \t]|^[})]/ {print; next} {exit}' "$f" > "$f.tmp" && mv "$f.tmp" "$f"
done
