export const DEFAULT_STREAM = "outbound";
export async function sendEmail(client, msg, stream) {
    const result = await client.sendEmail({
        From: msg.from,
        To: msg.to,
        Subject: msg.subject,
        TextBody: msg.body,
        MessageStream: stream ?? DEFAULT_STREAM,
    });
    return result.MessageID;
}
//# sourceMappingURL=mail.js.map