/**
 * @license tiny-a v1.0.0 (MIT)
 */
var a = 1;
/**
 * @license tiny-b v2.1.0 (ISC)
 */
var b = 2;
/*! @license tiny-c v0.3.0 (Apache-2.0) */
var c = 3;
export { a, b, c };
