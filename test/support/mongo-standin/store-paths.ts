import type { Document } from 'bson';

/** Reads a dotted path (`processing.owner`); undefined where any step is missing. */
export function getPath(doc: Document, path: string): unknown {
  let current: unknown = doc;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Document)[part];
  }
  return current;
}

/** Writes a dotted path, creating intermediate objects. */
export function setPath(doc: Document, path: string, value: unknown): void {
  const parts = path.split('.');
  let target = doc;
  for (const part of parts.slice(0, -1)) {
    if (target[part] === null || typeof target[part] !== 'object') target[part] = {};
    target = target[part];
  }
  target[parts[parts.length - 1]] = value;
}

/** Removes a dotted path; true if something was there. */
export function unsetPath(doc: Document, path: string): boolean {
  const parts = path.split('.');
  let target: unknown = doc;
  for (const part of parts.slice(0, -1)) {
    if (target === null || typeof target !== 'object') return false;
    target = (target as Document)[part];
  }
  const last = parts[parts.length - 1];
  if (target === null || typeof target !== 'object' || !(last in (target as Document)))
    return false;
  delete (target as Document)[last];
  return true;
}
