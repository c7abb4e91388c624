import * as net from 'node:net';
import type { Document } from 'bson';
import { runCommand } from './commands';
import { CursorRegistry } from './cursors';
import { Store } from './store';
import { MORE_TO_COME, MessageFramer, decodeMessage, encodeMsg, encodeReply } from './wire';

/** One command as the stand-in received it, for tests that count round trips. */
export interface LoggedCommand {
  command: string;
  db: string;
  collection?: string;
  /** The full command document, kind-1 sequences folded in. */
  body: Document;
}

/** A one-shot fault for the next matching command, like mongod's `failCommand` fail point. */
export type Fault = 'close-connection' | { code: number; codeName?: string; errmsg?: string };

export interface Standin {
  /** `mongodb://127.0.0.1:<port>/?directConnection=true` */
  uri: string;
  port: number;
  /** Every command received since start (or since the test cleared it), in arrival order. */
  commandLog: LoggedCommand[];
  /** Client sockets currently open (a closed client leaves none). */
  openConnections(): number;
  /** Destroys every open client socket; the server keeps listening for new ones. */
  dropConnections(): void;
  /** Makes the next command called `command` fail, or lose its connection before replying. */
  failNext(command: string, fault: Fault): void;
  stop(): Promise<void>;
}

/** The command name is the first key of the command document. */
const commandName = (command: Document) => Object.keys(command)[0] ?? '';

/** `port` 0 (the default) picks an ephemeral port; a fixed one lets a test restart a server. */
export async function startStandin(options: { port?: number } = {}): Promise<Standin> {
  const store = new Store();
  const cursors = new CursorRegistry();
  const commandLog: LoggedCommand[] = [];
  const sockets = new Set<net.Socket>();
  const faults = new Map<string, Fault>();
  let connections = 0;
  let requestIds = 0;

  const server = net.createServer((socket) => {
    const connectionId = ++connections;
    const framer = new MessageFramer();
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      for (const raw of framer.push(chunk)) {
        const message = decodeMessage(raw);
        if (message.kind === 'unsupported') {
          socket.destroy(); // e.g. OP_COMPRESSED, which we never advertise
          return;
        }
        const command = message.kind === 'query' ? message.query : message.command;
        const name = commandName(command);
        const db =
          message.kind === 'query'
            ? message.namespace.split('.')[0]
            : String(command.$db ?? 'admin');
        // getMore names its collection in a field of its own; other commands in their first.
        const target = name === 'getMore' ? command.collection : command[name];
        const collection = typeof target === 'string' ? target : undefined;
        commandLog.push({ command: name, db, collection, body: command });

        const fault = faults.get(name.toLowerCase());
        faults.delete(name.toLowerCase());
        if (fault === 'close-connection') {
          socket.destroy();
          return;
        }
        const reply = fault
          ? {
              ok: 0,
              errmsg: fault.errmsg ?? 'injected fault',
              code: fault.code,
              codeName: fault.codeName ?? 'InjectedFault',
            }
          : runCommand(name, command, { store, cursors, db, connectionId });
        if (message.kind === 'msg' && message.flags & MORE_TO_COME) continue; // fire-and-forget
        const requestId = ++requestIds;
        socket.write(
          message.kind === 'query'
            ? encodeReply(requestId, message.requestId, reply)
            : encodeMsg(requestId, message.requestId, reply),
        );
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;

  const dropConnections = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear(); // 'close' events arrive later; callers expect the count to drop now
  };
  let stopped: Promise<void> | undefined;

  return {
    uri: `mongodb://127.0.0.1:${port}/?directConnection=true`,
    port,
    commandLog,
    openConnections: () => sockets.size,
    dropConnections,
    failNext: (command, fault) => faults.set(command.toLowerCase(), fault),
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        dropConnections();
      });
      return stopped;
    },
  };
}
