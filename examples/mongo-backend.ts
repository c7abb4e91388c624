/**
 * The mongo backend: entries in a MongoDB collection that many processes and machines share.
 *
 *   npx tsx examples/mongo-backend.ts                                  # against the stand-in
 *   MONGODB_URI=mongodb://localhost:27017 npx tsx examples/mongo-backend.ts   # a real server
 *
 * Without MONGODB_URI it starts memoir's wire-protocol stand-in server (the one the tests
 * use) inside this process, and says so. It uses a fresh collection and drops it at the end.
 */
import { MongoClient } from 'mongodb';
import { cached } from 'memoir';
import { startStandin } from '../test/support/mongo-standin';

let failures = 0;
function check(ok: boolean, what: string): void {
  console.log(`${ok ? '  ok  ' : '  FAIL'} ${what}`);
  if (!ok) failures++;
}

async function server(): Promise<{ uri: string; stop(): Promise<void> }> {
  const uri = process.env.MONGODB_URI;
  if (uri) {
    console.log('Using the MongoDB server at MONGODB_URI.');
    return { uri, stop: async () => {} };
  }
  const standin = await startStandin();
  console.log(`MONGODB_URI is not set: using the in-process stand-in server at ${standin.uri}.`);
  return standin;
}

async function main(): Promise<void> {
  const { uri, stop } = await server();
  // You own the client: memoir only asks for the collection, lazily, on the first call.
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 });
  const collection = client.db('memoir_examples').collection(`entries_${process.pid}_${Date.now()}`);
  const mongetter = () => collection;

  try {
    let computations = 0;
    async function userProfile(id: string): Promise<{ id: string; plan: string }> {
      computations++;
      await new Promise((resolve) => setTimeout(resolve, 100)); // stands for a slow service
      return { id, plan: id === 'u1' ? 'pro' : 'free' };
    }

    console.log('An async function:');
    const profile = cached(userProfile, { backend: 'mongo', mongetter, staleAfter: '10m' });
    const first = await profile('u1');
    const second = await profile('u1');
    console.log('  profile("u1") ->', first, 'then', second);
    check(computations === 1 && second.plan === 'pro', 'computed once, then read from the collection');
    check(await profile.isCached('u1'), 'isCached("u1") is true');

    // Another memoized function with the same name stands for another process or machine:
    // it has nothing in memory and finds the entry on the server.
    const elsewhere = cached(userProfile, { backend: 'mongo', mongetter, name: profile.cacheName });
    const shared = await elsewhere('u1');
    check(computations === 1 && shared.plan === 'pro', 'a second instance of the function reads the shared entry');

    console.log('A sync function:');
    const double = cached((n: number) => n * 2, { backend: 'mongo', mongetter, name: 'double' });
    const pending = double(21);
    // Mongo I/O cannot block, so on this backend a sync function returns a Promise (typed so).
    check(pending instanceof Promise, 'a sync function returns a Promise on the mongo backend');
    console.log('  double(21) ->', await pending);

    await profile.invalidate('u1');
    check(!(await profile.isCached('u1')), 'invalidate("u1") removed the document');
    console.log('documents left in the collection (double(21)):', await collection.countDocuments());
    console.log('stats of userProfile:', profile.stats());
  } finally {
    await collection.drop().catch(() => undefined);
    await client.close();
    await stop();
  }

  if (failures > 0) throw new Error(`${failures} check(s) failed`);
  console.log('All checks passed.');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
