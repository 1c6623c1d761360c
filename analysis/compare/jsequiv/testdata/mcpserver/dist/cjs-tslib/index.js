"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.VERSION = exports.Channel = exports.Level = exports.ToolServer = void 0;
exports.createServer = createServer;
const tslib_1 = require("tslib");
const server_js_1 = require("./server.js");
const tools_js_1 = require("./tools.js");
const log_js_1 = require("./log.js");
tslib_1.__exportStar(require("./types.js"), exports);
var server_js_2 = require("./server.js");
Object.defineProperty(exports, "ToolServer", { enumerable: true, get: function () { return server_js_2.ToolServer; } });
var log_js_2 = require("./log.js");
Object.defineProperty(exports, "Level", { enumerable: true, get: function () { return log_js_2.Level; } });
Object.defineProperty(exports, "Channel", { enumerable: true, get: function () { return log_js_2.Channel; } });
exports.VERSION = "1.2.3";
function createServer(client) {
    if (process.env.DEBUG?.includes("notes")) {
        (0, log_js_1.setLevel)(log_js_1.Level.Debug);
    }
    return server_js_1.ToolServer.create("notes")
        .register("read_note", tools_js_1.readNote)
        .register("echo", tools_js_1.echo)
        .register("send_email", (0, tools_js_1.mailer)(client));
}
exports.default = createServer;
