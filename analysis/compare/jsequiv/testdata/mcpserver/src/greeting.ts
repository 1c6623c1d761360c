// An anonymous default export and an exported arrow function.
export default function (name: string): string {
  return `hello ${name}`;
}

export const shout = (s: string): string => s.toUpperCase();
