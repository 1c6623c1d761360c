"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.shout = void 0;
exports.default = default_1;
// An anonymous default export and an exported arrow function.
function default_1(name) {
    return `hello ${name}`;
}
const shout = (s) => s.toUpperCase();
exports.shout = shout;
