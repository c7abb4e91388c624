import { execFile } from 'node:child_process';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { promisify } from 'node:util';
import { RedisServer, waitUntil } from './redis-server';

const run = promisify(execFile);

/**
 * A real Redis Cluster of masters only, on loopback ports of this project's range: one
 * `redis-server --cluster-enabled yes` per port, joined by `redis-cli --cluster create`, ready
 * when every node reports `cluster_state:ok`.
 */
export class RedisCluster {
  private constructor(readonly nodes: RedisServer[]) {}

  static async start(ports: number[]): Promise<RedisCluster> {
    const nodes = await Promise.all(
      ports.map((port) =>
        RedisServer.start(port, ['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000']),
      ),
    );
    const cluster = new RedisCluster(nodes);
    try {
      const addresses = ports.map((port) => `127.0.0.1:${port}`);
      await run('redis-cli', [
        '--cluster',
        'create',
        ...addresses,
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ]);
      await waitUntil(
        () => cluster.isReady(),
        15_000,
        'the cluster did not reach cluster_state:ok',
      );
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get ports(): number[] {
    return this.nodes.map((node) => node.port);
  }

  /** Runs a redis-cli command on one node. */
  async cli(port: number, ...args: string[]): Promise<string> {
    const { stdout } = await run('redis-cli', ['-p', String(port), ...args]);
    return stdout.trim();
  }

  /** How many keys matching `pattern` each master holds, by port order. */
  async counts(pattern: string): Promise<number[]> {
    return Promise.all(
      this.ports.map(async (port) => {
        const keys = await this.cli(port, '--scan', '--pattern', pattern);
        return keys === '' ? 0 : keys.split('\n').length;
      }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }

  private async isReady(): Promise<boolean> {
    const states = await Promise.all(this.ports.map((port) => this.cli(port, 'CLUSTER', 'INFO')));
    return states.every((info) => info.includes('cluster_state:ok'));
  }
}

/** A real cluster with a client of each library connected to it, for suites that run on both. */
export interface ClusterClients {
  /** redis-cli against one node of the cluster. */
  cli(port: number, ...args: string[]): Promise<string>;
  nodeRedis: ReturnType<typeof createCluster>;
  ioredis: Cluster;
  stop(): Promise<void>;
}

export async function startClusterWithClients(ports: number[]): Promise<ClusterClients> {
  const cluster = await RedisCluster.start(ports);
  const nodeRedis = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${ports[0]}` }] });
  nodeRedis.on('error', () => undefined);
  await nodeRedis.connect();
  const ioredis = new Cluster([{ host: '127.0.0.1', port: ports[0]! }]);
  await new Promise<void>((resolve, reject) => {
    ioredis.once('ready', resolve);
    ioredis.once('error', reject);
  });
  return {
    cli: (port, ...args) => cluster.cli(port, ...args),
    nodeRedis,
    ioredis,
    async stop() {
      nodeRedis.destroy();
      ioredis.disconnect();
      await cluster.stop();
    },
  };
}
