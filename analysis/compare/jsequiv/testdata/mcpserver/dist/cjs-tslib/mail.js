"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.DEFAULT_STREAM = void 0;
exports.sendEmail = sendEmail;
exports.DEFAULT_STREAM = "outbound";
async function sendEmail(client, msg, stream) {
    const result = await client.sendEmail({
        From: msg.from,
        To: msg.to,
        Subject: msg.subject,
        TextBody: msg.body,
        MessageStream: stream ?? exports.DEFAULT_STREAM,
    });
    return result.MessageID;
}
