import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

/**
 * A PostgreSQL server of a test's own, for the test that restarts the server under a running
 * calculation (the machine's shared server is never stopped). A throwaway cluster made by
 * initdb in a temp folder (trust auth, no fsync), listening on a free loopback port; run as
 * the `postgres` user when the tests run as root (initdb refuses root), as CI does.
 */
const run = promisify(execFile);

/** The newest installed PostgreSQL's programs, or undefined when there is none. */
export function postgresBinaries(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  const bin = versions.map((version) => path.join(root, version, 'bin')).find((dir) => existsSync(path.join(dir, 'initdb')));
  return bin;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class PostgresServer {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private async ctl(...args: string[]): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    await this.as(path.join(this.bin, 'pg_ctl'), ['-D', path.join(this.dir, 'data'), '-l', path.join(this.dir, 'log'), '-w', '-o', options, ...args]);
  }

  private async as(program: string, args: string[]): Promise<void> {
    const asRoot = process.getuid?.() === 0;
    await run(asRoot ? 'runuser' : program, asRoot ? ['-u', 'postgres', '--', program, ...args] : args, { timeout: 60_000 });
  }

  static async start(bin: string): Promise<PostgresServer> {
    const dir = mkdtempSync(path.join(tmpdir(), 'memoir-pg-'));
    if (process.getuid?.() === 0) chownSync(dir, Number((await run('id', ['-u', 'postgres'])).stdout), Number((await run('id', ['-g', 'postgres'])).stdout));
    const server = new PostgresServer(bin, dir, await freePort());
    await server.as(path.join(bin, 'initdb'), ['-D', path.join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    await server.ctl('start');
    return server;
  }

  /** A fast restart: every connection is terminated, the server refuses new ones until it is back. */
  restart(): Promise<void> {
    return this.ctl('-m', 'fast', 'restart');
  }

  async stop(): Promise<void> {
    await this.ctl('-m', 'immediate', 'stop').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
