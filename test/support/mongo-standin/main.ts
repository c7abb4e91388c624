/**
 * Runs the stand-in as its own process so several test processes can share one server:
 * prints the URI as the first line of stdout, and exits on SIGTERM/SIGINT or when stdin
 * closes (so it never outlives the test that spawned it).
 *
 *   node_modules/.bin/tsx test/support/mongo-standin/main.ts
 */
import { startStandin } from './server';

async function main() {
  const standin = await startStandin();
  process.stdout.write(`${standin.uri}\n`);
  const shutdown = () => {
    void standin.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.stdin.on('end', shutdown);
  process.stdin.resume();
}

void main();
