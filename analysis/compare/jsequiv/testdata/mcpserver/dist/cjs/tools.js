"use strict";
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __setModuleDefault = (this && this.__setModuleDefault) || (Object.create ? (function(o, v) {
    Object.defineProperty(o, "default", { enumerable: true, value: v });
}) : function(o, v) {
    o["default"] = v;
});
var __importStar = (this && this.__importStar) || (function () {
    var ownKeys = function(o) {
        ownKeys = Object.getOwnPropertyNames || function (o) {
            var ar = [];
            for (var k in o) if (Object.prototype.hasOwnProperty.call(o, k)) ar[ar.length] = k;
            return ar;
        };
        return ownKeys(o);
    };
    return function (mod) {
        if (mod && mod.__esModule) return mod;
        var result = {};
        if (mod != null) for (var k = ownKeys(mod), i = 0; i < k.length; i++) if (k[i] !== "default") __createBinding(result, mod, k[i]);
        __setModuleDefault(result, mod);
        return result;
    };
})();
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
exports.echo = void 0;
exports.readNote = readNote;
exports.mailer = mailer;
exports.extensionOf = extensionOf;
const node_fs_1 = __importDefault(require("node:fs"));
const path = __importStar(require("node:path"));
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
//# sourceMappingURL=tools.js.map