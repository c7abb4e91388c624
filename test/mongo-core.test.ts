import { describeCoreContract } from './contract/core-contract';
import { type MongoFixture, openMongoFixture, openStandinFixture } from './support/mongo-fixtures';

/**
 * The shared core contract, run against the mongo core over the wire-protocol stand-in, and
 * against a real server when MONGODB_URI is set.
 */
function lazyFixture(open: () => Promise<MongoFixture>) {
  let fixture: Promise<MongoFixture> | undefined;
  const get = () => (fixture ??= open());
  return {
    makeCore: async (name: string) => (await get()).core(name),
    teardown: async () => {
      if (fixture) await (await fixture).close();
    },
  };
}

const standin = lazyFixture(openStandinFixture);
describeCoreContract('mongo core (stand-in)', standin.makeCore, { teardown: standin.teardown });

const realUri = process.env.MONGODB_URI;
if (realUri) {
  const real = lazyFixture(() => openMongoFixture(realUri));
  describeCoreContract('mongo core (MONGODB_URI)', real.makeCore, { teardown: real.teardown });
} else {
  console.warn(
    'MONGODB_URI is not set: the mongo core contract ran against the wire-protocol stand-in only, not a real MongoDB server.',
  );
}
