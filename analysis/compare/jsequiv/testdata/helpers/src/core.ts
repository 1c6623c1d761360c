// Exercises the TypeScript emit helpers available since TypeScript 4.1.
import def from "x";
import * as ns from "y";
export * from "z";
declare function dec(...a: any[]): any;
declare const Reflect: any;
class Base { m(): number { return 1; } }
export class A extends Base {
  #p = 1;
  @dec prop: string = "";
  constructor(@dec private readonly s: string) { super(); }
  @dec async m2(x: number) { return this.#p + x; }
  get p() { return this.#p; }
  set p(v) { this.#p = v; }
}
export async function f(o: any) {
  const { a, ...rest } = o;
  const arr = [...rest.list, 1];
  const obj = { ...o, b: 1 };
  for (const x of arr) { await x; }
  for await (const y of o.iter) { void y; }
  return { a, arr, obj, def, ns };
}
export function* g() { yield* [1, 2]; }
export async function* ag(): AsyncGenerator<number> { yield 1; yield* ag(); }
export function t(s: TemplateStringsArray): unknown { return t`a${1}b`; }
export async function imp() { return import("./other"); }
