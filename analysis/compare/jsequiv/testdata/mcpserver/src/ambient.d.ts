// Minimal ambient declarations so the fixture compiles without @types/node.
declare module "node:fs" {
  export function readFileSync(path: string, encoding: "utf8"): string;
  export function appendFileSync(path: string, data: string): void;
  const fs: { readFileSync: typeof readFileSync; existsSync(path: string): boolean };
  export default fs;
}
declare module "node:path" {
  export function join(...parts: string[]): string;
  export function extname(p: string): string;
}
declare const process: { env: Record<string, string | undefined>; argv: string[]; exit(code: number): never };
declare const console: { log(...a: unknown[]): void; error(...a: unknown[]): void };
