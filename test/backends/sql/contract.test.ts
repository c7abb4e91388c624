import { createSqlCore } from '../../../backends/sql';
import { closeConnections } from '../../../lib';
import { describeCoreContract } from '../../../lib/testing/core-contract';
import { ENGINES, rawQuery, SCRATCH, type ScratchDatabase } from '../../support/sql-databases';

/**
 * The shared core contract on each engine, through memoir's own connection from a URL. Leases
 * are judged on the database's clock, so the suite runs in its 'server' lease-clock mode.
 */
for (const engine of ENGINES) {
  let database: ScratchDatabase;
  beforeAll(async () => {
    database = await SCRATCH[engine]('contract');
  });

  describeCoreContract(
    `sql (${engine})`,
    (name, report) => createSqlCore({ name, options: { sql: database.url }, report }),
    {
      serverClock: true,
      // Another program overwrote the value bytes with something no serializer reads.
      corrupt: async (core, key) => {
        await rawQuery(
          database,
          'UPDATE memoir_entries SET value = ? WHERE func = ? AND entry_key = ?',
          [Buffer.from([0xff, 0x00, 0x13]), core.name, key],
        );
      },
      teardown: async () => {
        await closeConnections();
        await database.drop();
      },
    },
  );
}
