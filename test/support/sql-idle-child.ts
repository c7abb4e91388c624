/**
 * Child of the idle-connection test: memoizes one function per URL given on the command line,
 * waits (a LISTEN connection on PostgreSQL included), prints the results and then simply
 * returns. It must exit on its own: memoir's idle pools and listener may not hold it open.
 */
import { createSqlCore } from '../../backends/sql';
import { cached } from '../../lib/index';

async function main() {
  const results: unknown[] = [];
  for (const [i, sql] of process.argv.slice(2).entries()) {
    const answer = cached(async () => 42, { name: `idle-${i}`, backend: 'sql', sql });
    await answer();
    results.push(await answer());
  }
  // Opens PostgreSQL's listening connection: it must not hold the process either.
  const listening = createSqlCore({
    name: 'idle-listen',
    options: { sql: process.argv[2] },
    report: () => {},
  });
  await listening.get('k');
  await listening.waitForChange?.('k', 200);
  console.log(results.join(' '));
}

void main();
