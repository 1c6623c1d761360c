import { Level, log } from "./log.js";
export class ToolServer {
    version;
    static instances = 0;
    static protocolVersion = "2025-06-18";
    name;
    handlers = new Map();
    calls = 0;
    lastError;
    constructor(name, version = "0.0.1") {
        this.version = version;
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
            log(Level.Error, this.lastError);
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
//# sourceMappingURL=server.js.map