/**
 * SCAN over one node, one page at a time, whichever client sends the command: both adapters
 * walk the cursor the same way and differ only in how a command reaches the node.
 */
export async function* scanPages(
  send: (args: string[]) => Promise<unknown>,
  pattern: string,
  count: number,
): AsyncIterable<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = (await send(['SCAN', cursor, 'MATCH', pattern, 'COUNT', String(count)])) as [
      unknown,
      unknown[],
    ];
    cursor = String(next);
    if (keys.length > 0) yield keys.map(String);
  } while (cursor !== '0');
}
