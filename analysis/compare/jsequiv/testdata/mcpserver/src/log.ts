export enum Level {
  Debug,
  Info,
  Warn = 5,
  Error,
}

export enum Channel {
  Stdout = "stdout",
  Stderr = "stderr",
}

let threshold: Level = Level.Info;

export function setLevel(level: Level): void {
  threshold = level;
}

export function log(level: Level, message: string, channel: Channel = Channel.Stderr): boolean {
  if (level < threshold) {
    return false;
  }
  const line = `[${Level[level]}] ${message}`;
  if (channel === Channel.Stdout) {
    console.log(line);
  } else {
    console.error(line);
  }
  return true;
}
