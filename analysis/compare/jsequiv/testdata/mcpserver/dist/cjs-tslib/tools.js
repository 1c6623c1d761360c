"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.echo = void 0;
exports.readNote = readNote;
exports.mailer = mailer;
exports.extensionOf = extensionOf;
const tslib_1 = require("tslib");
const node_fs_1 = tslib_1.__importDefault(require("node:fs"));
const path = tslib_1.__importStar(require("node:path"));
const node_fs_2 = require("node:fs");
const log_js_1 = require("./log.js");
const mail_js_1 = require("./mail.js");
const TEXT_FILE = /\.(txt|md)$/i;
function text(value) {
    return { content: [{ type: "text", text: value }] };
}
async function readNote(req) {
    const file = String(req.arguments?.["file"] ?? "");
    if (!TEXT_FILE.test(file) || !node_fs_1.default.existsSync(file)) {
        (0, log_js_1.log)(log_js_1.Level.Warn, `refusing ${file}`);
        return { ...text(`not a note: ${file}`), isError: true };
    }
    const body = (0, node_fs_2.readFileSync)(path.join(".", file), "utf8");
    return text(body.slice(0, 4096));
}
const echo = async (req) => {
    const token = req.meta?.progressToken;
    const parts = Object.entries(req.arguments ?? {}).map(([k, v]) => `${k}=${String(v)}`);
    return text(token !== undefined ? `${token}: ${parts.join(", ")}` : parts.join(", "));
};
exports.echo = echo;
function mailer(client) {
    return async (req) => {
        const args = req.arguments ?? {};
        const id = await (0, mail_js_1.sendEmail)(client, {
            from: String(args.from),
            to: String(args.to),
            subject: String(args.subject ?? "(no subject)"),
            body: String(args.body ?? ""),
        });
        return text(`sent ${id}`);
    };
}
function extensionOf(name) {
    const ext = path.extname(name);
    return ext.length > 1 ? ext.slice(1).toLowerCase() : undefined;
}
