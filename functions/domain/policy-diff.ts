// The per-field difference of two policy documents (`govern policy diff`, the dashboard's policy page). Pure and
// import-free, so that the CLI, which shares only data with the domain, can use it.

/** One field that differs between two policy documents: its path and both values (undefined where absent). */
export interface PolicyFieldChange {
  path: string;
  from: unknown;
  to: unknown;
}

function leaves(value: unknown, path: string, out: Map<string, unknown>): void {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, member] of Object.entries(value)) leaves(member, path ? `${path}.${key}` : key, out);
  } else out.set(path, value);
}

/** A leaf as text: lists compared whole, objects inside lists with their keys sorted. */
function text(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, member: unknown) =>
    typeof member === 'object' && member !== null && !Array.isArray(member)
      ? Object.fromEntries(Object.entries(member).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : member,
  );
}

/** The per-field differences between two documents (lists compared whole), in path order; version is left out. */
export function policyDiff(from: object, to: object): PolicyFieldChange[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  leaves(from, '', a);
  leaves(to, '', b);
  const paths = [...new Set([...a.keys(), ...b.keys()])].filter((p) => p !== 'version').sort();
  return paths.flatMap((path) =>
    text(a.get(path)) === text(b.get(path)) ? [] : [{ path, from: a.get(path), to: b.get(path) }],
  );
}
