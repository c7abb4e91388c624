import { type Collection, MongoClient } from 'mongodb';
import type { Core, CoreEvent } from '../../lib/contract/core';
import { createMongoCore } from '../../backends/mongo';
import { type Standin, startStandin } from './mongo-standin';

/**
 * Shared set-up for the mongo tests: one stand-in (or real server) per test file, one client,
 * a fresh collection per file so files never see each other's entries.
 */
export interface MongoFixture {
  uri: string;
  client: MongoClient;
  collection: Collection;
  /** Events reported by every core made through `core()`. */
  events: Array<Omit<CoreEvent, 'cache'>>;
  /** A core on the fixture's collection; its reports go to `events` and to `report` when given. */
  core(name: string, options?: Record<string, unknown>, report?: (event: Omit<CoreEvent, 'cache'>) => void): Core;
  close(): Promise<void>;
}

let files = 0;

export async function openMongoFixture(
  uri: string,
  onClose?: () => Promise<void>,
): Promise<MongoFixture> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 3_000 });
  await client.connect();
  const collection = client
    .db('memoir_test')
    .collection(`entries_${process.pid}_${Date.now().toString(36)}_${files++}`);
  const events: MongoFixture['events'] = [];
  const cores: Core[] = [];
  return {
    uri,
    client,
    collection,
    events,
    core(name, options = {}, report) {
      const core = createMongoCore({
        name,
        options: { mongetter: () => collection, ...options },
        report: (event) => {
          events.push(event);
          report?.(event);
        },
      });
      cores.push(core);
      return core;
    },
    async close() {
      for (const core of cores) await core.close?.();
      await collection.drop().catch(() => undefined);
      await client.close();
      await onClose?.();
    },
  };
}

/** A fresh in-process stand-in plus a fixture on it; `standin.commandLog` counts round trips. */
export async function openStandinFixture(): Promise<MongoFixture & { standin: Standin }> {
  const standin = await startStandin();
  const fixture = await openMongoFixture(standin.uri, () => standin.stop());
  return { ...fixture, standin };
}

/** Commands the stand-in received for one collection (ignores handshakes and heartbeats). */
export function commandsOn(standin: Standin, collection: string): string[] {
  return standin.commandLog
    .filter((entry) => entry.collection === collection)
    .map((entry) => entry.command);
}
