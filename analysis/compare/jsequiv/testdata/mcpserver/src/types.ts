// Type-only module: tsc emits an empty module for it.
export interface ToolRequest {
  name: string;
  arguments?: Record<string, unknown>;
  meta?: { progressToken?: string | number };
}

export interface ToolResult {
  content: { type: "text"; text: string }[];
  isError?: boolean;
}

export type Handler = (req: ToolRequest) => Promise<ToolResult>;

export interface MailMessage {
  from: string;
  to: string;
  subject: string;
  body: string;
}
