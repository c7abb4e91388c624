import { execFile } from 'node:child_process';
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
