function $parcel$interopDefault(a) {
  return a && a.__esModule ? a.default : a;
}
var $8a2f$exports = {};
$8a2f$exports = function () { return 1; };
module.exports = $parcel$interopDefault($8a2f$exports);
