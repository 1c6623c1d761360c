// An anonymous default export and an exported arrow function.
export default function (name) {
    return `hello ${name}`;
}
export const shout = (s) => s.toUpperCase();
//# sourceMappingURL=greeting.js.map