var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __param = (this && this.__param) || function (paramIndex, decorator) {
    return function (target, key) { decorator(target, key, paramIndex); }
};
var __classPrivateFieldGet = (this && this.__classPrivateFieldGet) || function (receiver, state, kind, f) {
    if (kind === "a" && !f) throw new TypeError("Private accessor was defined without a getter");
    if (typeof state === "function" ? receiver !== state || !f : !state.has(receiver)) throw new TypeError("Cannot read private member from an object whose class did not declare it");
    return kind === "m" ? f : kind === "a" ? f.call(receiver) : f ? f.value : state.get(receiver);
};
var __classPrivateFieldSet = (this && this.__classPrivateFieldSet) || function (receiver, state, value, kind, f) {
    if (kind === "m") throw new TypeError("Private method is not writable");
    if (kind === "a" && !f) throw new TypeError("Private accessor was defined without a setter");
    if (typeof state === "function" ? receiver !== state || !f : !state.has(receiver)) throw new TypeError("Cannot write private member to an object whose class did not declare it");
    return (kind === "a" ? f.call(receiver, value) : f ? f.value = value : state.set(receiver, value)), value;
};
var _A_p;
// Exercises the TypeScript emit helpers available since TypeScript 4.1.
import def from "x";
import * as ns from "y";
export * from "z";
class Base {
    m() { return 1; }
}
let A = class A extends Base {
    constructor(s) {
        super();
        this.s = s;
        _A_p.set(this, 1);
        this.prop = "";
    }
    async m2(x) { return __classPrivateFieldGet(this, _A_p, "f") + x; }
    get p() { return __classPrivateFieldGet(this, _A_p, "f"); }
    set p(v) { __classPrivateFieldSet(this, _A_p, v, "f"); }
};
_A_p = new WeakMap();
__decorate([
    dec
], A.prototype, "prop", void 0);
__decorate([
    dec
], A.prototype, "m2", null);
A = __decorate([
    __param(0, dec)
], A);
export { A };
export async function f(o) {
    const { a, ...rest } = o;
    const arr = [...rest.list, 1];
    const obj = { ...o, b: 1 };
    for (const x of arr) {
        await x;
    }
    for await (const y of o.iter) {
        void y;
    }
    return { a, arr, obj, def, ns };
}
export function* g() { yield* [1, 2]; }
export async function* ag() { yield 1; yield* ag(); }
export function t(s) { return t `a${1}b`; }
export async function imp() { return import("./other"); }
