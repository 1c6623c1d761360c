// A rollup bundle of ESM dependencies has no runtime; its commonjs plugin
// leaves hasRequired* guards for each wrapped module.
var hasRequiredA;
var hasRequiredB;
var a = {};
var b = {};
function requireA () { if (hasRequiredA) return a; hasRequiredA = 1; a.x = 1; return a; }
function requireB () { if (hasRequiredB) return b; hasRequiredB = 1; b.y = requireA().x; return b; }
export { requireB as default };
