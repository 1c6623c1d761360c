import type { MailMessage } from "./types.js";

export interface MailClient {
  sendEmail(message: Record<string, string>): Promise<{ MessageID: string }>;
}

export const DEFAULT_STREAM = "outbound";

export async function sendEmail(client: MailClient, msg: MailMessage, stream?: string) {
  const result = await client.sendEmail({
    From: msg.from,
    To: msg.to,
    Subject: msg.subject,
    TextBody: msg.body,
    MessageStream: stream ?? DEFAULT_STREAM,
  });
  return result.MessageID;
}
