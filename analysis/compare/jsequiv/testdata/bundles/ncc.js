/******/ (() => {
/******/ 	var __modules__ = ({
/***/ 17: ((module) => { "use strict"; module.exports = require("path"); })
/******/ 	});
/******/ 	function __nccwpck_require__(moduleId) { return __modules__[moduleId](); }
/******/ 	if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = __dirname + "/";
/******/ 	module.exports = __nccwpck_require__(17);
/******/ })();
