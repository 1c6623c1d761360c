"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.Channel = exports.Level = void 0;
exports.setLevel = setLevel;
exports.log = log;
var Level;
(function (Level) {
    Level[Level["Debug"] = 0] = "Debug";
    Level[Level["Info"] = 1] = "Info";
    Level[Level["Warn"] = 5] = "Warn";
    Level[Level["Error"] = 6] = "Error";
})(Level || (exports.Level = Level = {}));
var Channel;
(function (Channel) {
    Channel["Stdout"] = "stdout";
    Channel["Stderr"] = "stderr";
})(Channel || (exports.Channel = Channel = {}));
let threshold = Level.Info;
function setLevel(level) {
    threshold = level;
}
function log(level, message, channel = Channel.Stderr) {
    if (level < threshold) {
        return false;
    }
    const line = `[${Level[level]}] ${message}`;
    if (channel === Channel.Stdout) {
        console.log(line);
    }
    else {
        console.error(line);
    }
    return true;
}
