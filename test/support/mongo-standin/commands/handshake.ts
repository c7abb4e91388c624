import type { Document } from 'bson';
import type { CommandHandler } from './context';

/**
 * Server identity. A standalone that speaks wire version 21 (MongoDB 7.0) without
 * `topologyVersion`, so the driver polls instead of streaming heartbeats, and without
 * `compression`, so every message stays plain OP_MSG.
 */
export const MAX_WIRE_VERSION = 21;

const hello: CommandHandler = (_command, context): Document => ({
  helloOk: true,
  ismaster: true,
  isWritablePrimary: true,
  maxBsonObjectSize: 16 * 1024 * 1024,
  maxMessageSizeBytes: 48_000_000,
  maxWriteBatchSize: 100_000,
  localTime: new Date(),
  logicalSessionTimeoutMinutes: 30,
  connectionId: context.connectionId,
  minWireVersion: 0,
  maxWireVersion: MAX_WIRE_VERSION,
  readOnly: false,
});

export const handshakeCommands: Record<string, CommandHandler> = {
  hello,
  ismaster: hello,
  ping: () => ({}),
  buildinfo: () => ({
    version: '7.0.0-standin',
    versionArray: [7, 0, 0, 0],
    bits: 64,
    maxBsonObjectSize: 16 * 1024 * 1024,
  }),
  endsessions: () => ({}),
  getparameter: () => ({ featureCompatibilityVersion: { version: '7.0' } }),
};
