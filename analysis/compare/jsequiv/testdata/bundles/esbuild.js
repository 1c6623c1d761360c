"use strict";
var __getOwnPropNames = Object.getOwnPropertyNames;
var __commonJS = (cb, mod) => function __require() {
  return mod || (0, cb[__getOwnPropNames(cb)[0]])((mod = { exports: {} }).exports, mod), mod.exports;
};

// node_modules/tiny/index.js
var require_tiny = __commonJS({
  "node_modules/tiny/index.js"(exports2, module2) {
    module2.exports = () => "tiny";
  }
});

// src/index.ts
var tiny = require_tiny();
console.log(tiny());
