var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __param = (this && this.__param) || function (paramIndex, decorator) {
    return function (target, key) { decorator(target, key, paramIndex); }
};
var __classPrivateFieldGet = (this && this.__classPrivateFieldGet) || function (receiver, privateMap) {
    if (!privateMap.has(receiver)) {
        throw new TypeError("attempted to get private field on non-instance");
    }
    return privateMap.get(receiver);
};
var __classPrivateFieldSet = (this && this.__classPrivateFieldSet) || function (receiver, privateMap, value) {
    if (!privateMap.has(receiver)) {
        throw new TypeError("attempted to set private field on non-instance");
    }
    privateMap.set(receiver, value);
    return value;
};
var _p;
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
        _p.set(this, 1);
        this.prop = "";
    }
    async m2(x) { return __classPrivateFieldGet(this, _p) + x; }
    get p() { return __classPrivateFieldGet(this, _p); }
    set p(v) { __classPrivateFieldSet(this, _p, v); }
};
_p = new WeakMap();
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
