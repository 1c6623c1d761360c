"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.ToolServer = void 0;
const log_js_1 = require("./log.js");
class ToolServer {
    constructor(name, version = "0.0.1") {
        this.version = version;
        this.handlers = new Map();
        this.calls = 0;
        this.name = name;
        ToolServer.instances++;
    }
    static create(name) {
        return new ToolServer(name);
    }
    get callCount() {
        return this.calls;
    }
    register(tool, handler) {
        if (this.handlers.has(tool)) {
            throw new Error(`duplicate tool ${tool}`);
        }
        this.handlers.set(tool, handler);
        return this;
    }
    async call(req) {
        this.calls++;
        const handler = this.handlers.get(req.name);
        if (!handler) {
            this.lastError = `unknown tool ${req.name}`;
            (0, log_js_1.log)(log_js_1.Level.Error, this.lastError);
            return { content: [{ type: "text", text: this.lastError }], isError: true };
        }
        try {
            return await handler(req);
        }
        catch (err) {
            this.lastError = err instanceof Error ? err.message : String(err);
            return { content: [{ type: "text", text: this.lastError ?? "failed" }], isError: true };
        }
    }
    describe() {
        return `${this.name}@${this.version} (${ToolServer.protocolVersion}) tools=${[...this.handlers.keys()].join(",")}`;
    }
}
exports.ToolServer = ToolServer;
ToolServer.instances = 0;
ToolServer.protocolVersion = "2025-06-18";
