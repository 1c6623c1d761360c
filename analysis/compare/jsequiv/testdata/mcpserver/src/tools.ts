import fs from "node:fs";
import * as path from "node:path";
import { readFileSync } from "node:fs";
import type { Handler, ToolRequest, ToolResult } from "./types.js";
import { Level, log } from "./log.js";
import { sendEmail, type MailClient } from "./mail.js";

const TEXT_FILE = /\.(txt|md)$/i;

function text(value: string): ToolResult {
  return { content: [{ type: "text", text: value }] };
}

export async function readNote(req: ToolRequest): Promise<ToolResult> {
  const file = String(req.arguments?.["file"] ?? "");
  if (!TEXT_FILE.test(file) || !fs.existsSync(file)) {
    log(Level.Warn, `refusing ${file}`);
    return { ...text(`not a note: ${file}`), isError: true };
  }
  const body = readFileSync(path.join(".", file), "utf8");
  return text(body.slice(0, 4096));
}

export const echo: Handler = async (req) => {
  const token = req.meta?.progressToken;
  const parts = Object.entries(req.arguments ?? {}).map(([k, v]) => `${k}=${String(v)}`);
  return text(token !== undefined ? `${token}: ${parts.join(", ")}` : parts.join(", "));
};

export function mailer(client: MailClient): Handler {
  return async (req) => {
    const args = req.arguments ?? {};
    const id = await sendEmail(client, {
      from: String(args.from),
      to: String(args.to),
      subject: String(args.subject ?? "(no subject)"),
      body: String(args.body ?? ""),
    });
    return text(`sent ${id}`);
  };
}

export function extensionOf(name: string): string | undefined {
  const ext = path.extname(name);
  return ext.length > 1 ? ext.slice(1).toLowerCase() : undefined;
}
