// Exercises the TypeScript emit helpers added in TypeScript 5.x.
declare function dec(...a: any[]): any;
export class B {
  #q = 1;
  @dec accessor x = 1;
  @dec static m() {}
  @dec y = 2;
  has(o: object) { return #q in o; }
}
export const c = { ["k" + 1]: class { static z = 1; } };
export function u() { using r = { [Symbol.dispose]() {} }; return r; }
export async function v() { await using r2 = { async [Symbol.asyncDispose]() {} }; return r2; }
export async function imp2(p: string) { return import(p); }
