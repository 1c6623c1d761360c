import { ToolServer } from "./server.js";
import { echo, mailer, readNote } from "./tools.js";
import { Level, setLevel } from "./log.js";
export * from "./types.js";
export { ToolServer } from "./server.js";
export { Level, Channel } from "./log.js";
export const VERSION = "1.2.3";
export function createServer(client) {
    if (process.env.DEBUG?.includes("notes")) {
        setLevel(Level.Debug);
    }
    return ToolServer.create("notes")
        .register("read_note", readNote)
        .register("echo", echo)
        .register("send_email", mailer(client));
}
export default createServer;
//# sourceMappingURL=index.js.map