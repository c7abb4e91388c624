import { createSqlCore } from '../../../backends/sql';
import { closeConnections } from '../../../lib/contract';
import { describeCoreContract } from '../../../lib/testing/core-contract';
import { ENGINES, SCRATCH, type ScratchDatabase } from '../../support/sql-databases';

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
      teardown: async () => {
        await closeConnections();
        await database.drop();
      },
    },
  );
}
