// Trims GitHub's api.github.com OpenAPI description (npm package @octokit/openapi,
// generated/api.github.com.json) to the operations internal/testenv's GitHub fake serves, plus every
// component they reference, transitively. Loading the result takes milliseconds instead of seconds.
//
// Also dropped, because they only document and make the file large: `description` and `summary` texts,
// media-type `examples` (and so components.examples; one of GitHub's examples does not match its own
// schema) and `x-github-breaking-changes` (future API versions the fake does not imitate).
//
// The route list must stay equal to githubRoutes in internal/testenv/github.go; a Go test checks it.
//
// usage: node scripts/trim-openapi.mjs <api.github.com.json> <out.json>
import { readFileSync, writeFileSync } from "node:fs";

export const ROUTES = [
  "GET /app",
  "POST /app/installations/{installation_id}/access_tokens",
  "GET /rate_limit",
  "GET /repos/{owner}/{repo}",
  "GET /repos/{owner}/{repo}/installation",
  "GET /repos/{owner}/{repo}/pulls",
  "GET /repos/{owner}/{repo}/pulls/{pull_number}",
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/files",
  "GET /repos/{owner}/{repo}/contents/{path}",
  "GET /repos/{owner}/{repo}/compare/{basehead}",
  "GET /repos/{owner}/{repo}/git/blobs/{file_sha}",
  "POST /repos/{owner}/{repo}/check-runs",
  "GET /repos/{owner}/{repo}/check-runs/{check_run_id}",
  "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}",
  "GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations",
  "GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews",
  "POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews",
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}",
  "PUT /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}",
  "PUT /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/dismissals",
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/comments",
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/comments",
  "POST /repos/{owner}/{repo}/pulls/{pull_number}/comments",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
  "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
  "GET /repos/{owner}/{repo}/issues/comments/{comment_id}",
  "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}",
];

// Keys whose value maps user-chosen names (property names, status codes, media types, …) to objects:
// their own keys are never stripped, whatever they are called ("description" is a repository property).
const NAME_MAPS = new Set([
  "properties", "patternProperties", "responses", "content", "headers", "encoding", "mapping",
  "variables", "links", "callbacks", "paths", "schemas", "parameters", "requestBodies",
  "securitySchemes",
]);
const DROP = new Set(["description", "summary", "examples", "x-github-breaking-changes"]);
// Of DROP, the keys dropped only when they hold text (as a keyword), never when they hold a schema.
const TEXT = new Set(["description", "summary"]);

// clean returns a copy of node without documentation-only keys. "parameters" is a name map under
// components but an array in an operation; arrays are walked element by element either way.
function clean(node, isNameMap) {
  if (Array.isArray(node)) return node.map((v) => clean(v, false));
  if (node === null || typeof node !== "object") return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (isNameMap) {
      out[k] = clean(v, false);
      continue;
    }
    if (DROP.has(k) && (typeof v === "string" || !TEXT.has(k))) continue;
    out[k] = clean(v, NAME_MAPS.has(k) && !Array.isArray(v));
  }
  return out;
}

// refs collects every local $ref in node.
function refs(node, into) {
  if (Array.isArray(node)) {
    for (const v of node) refs(v, into);
  } else if (node !== null && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string") into.push(v);
      else refs(v, into);
    }
  }
  return into;
}

export function trim(doc, routes) {
  const out = {
    openapi: doc.openapi,
    info: { title: doc.info.title, version: doc.info.version },
    servers: doc.servers,
    paths: {},
    components: {},
  };
  for (const route of routes) {
    const [method, path] = route.split(" ");
    const op = doc.paths?.[path]?.[method.toLowerCase()];
    if (!op) throw new Error(`route ${route} is not in the description`);
    out.paths[path] ??= {};
    out.paths[path][method.toLowerCase()] = clean(op, false);
  }
  const queue = refs(out.paths, []);
  const seen = new Set();
  while (queue.length > 0) {
    const ref = queue.pop();
    if (seen.has(ref)) continue;
    seen.add(ref);
    const m = /^#\/components\/([^/]+)\/([^/]+)$/.exec(ref);
    if (!m) throw new Error(`unsupported $ref ${ref}`);
    const [, kind, name] = m;
    const value = doc.components?.[kind]?.[name];
    if (value === undefined) throw new Error(`dangling $ref ${ref}`);
    const cleaned = clean(value, false);
    out.components[kind] ??= {};
    out.components[kind][name] = cleaned;
    queue.push(...refs(cleaned, []));
  }
  for (const kind of Object.keys(out.components)) {
    out.components[kind] = Object.fromEntries(
      Object.entries(out.components[kind]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  }
  return out;
}

const [src, dst] = process.argv.slice(2);
if (!src || !dst) {
  console.error("usage: node scripts/trim-openapi.mjs <api.github.com.json> <out.json>");
  process.exit(2);
}
const trimmed = trim(JSON.parse(readFileSync(src, "utf8")), ROUTES);
writeFileSync(dst, JSON.stringify(trimmed) + "\n");
