import type { Handler, ToolRequest, ToolResult } from "./types.js";
import { Level, log } from "./log.js";

export class ToolServer {
  static instances = 0;
  static readonly protocolVersion: string = "2025-06-18";
  readonly name: string;
  private handlers = new Map<string, Handler>();
  private calls = 0;
  private lastError?: string;

  constructor(name: string, private readonly version: string = "0.0.1") {
    this.name = name;
    ToolServer.instances++;
  }

  static create(name: string): ToolServer {
    return new ToolServer(name);
  }

  get callCount(): number {
    return this.calls;
  }

  register(tool: string, handler: Handler): this {
    if (this.handlers.has(tool)) {
      throw new Error(`duplicate tool ${tool}`);
    }
    this.handlers.set(tool, handler);
    return this;
  }

  async call(req: ToolRequest): Promise<ToolResult> {
    this.calls++;
    const handler = this.handlers.get(req.name);
    if (!handler) {
      this.lastError = `unknown tool ${req.name}`;
      log(Level.Error, this.lastError);
      return { content: [{ type: "text", text: this.lastError }], isError: true };
    }
    try {
      return await handler(req);
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      return { content: [{ type: "text", text: this.lastError ?? "failed" }], isError: true };
    }
  }

  describe(): string {
    return `${this.name}@${this.version} (${ToolServer.protocolVersion}) tools=${[...this.handlers.keys()].join(",")}`;
  }
}
