// src/log.ts
function log(message) {
  console.error(message);
}

// src/tools.ts
function echo(text) {
  log(text);
  return text;
}

// src/index.ts
export { echo, log };
