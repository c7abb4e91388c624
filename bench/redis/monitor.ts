import { createConnection, type Socket } from 'node:net';

/**
 * Counts the commands clients send to a Redis server, as the server sees them (MONITOR), so
 * round trips are measured rather than inferred. Commands that scripts run inside the server
 * (`[0 lua]`) are not client commands and are left out; so is the monitor itself.
 */
export class CommandCounter {
  private socket: Socket | undefined;
  private buffer = '';
  private counted = 0;

  static async open(port: number, host = '127.0.0.1'): Promise<CommandCounter> {
    const counter = new CommandCounter();
    await counter.start(port, host);
    return counter;
  }

  /** Commands seen since the last reset. */
  get count(): number {
    return this.counted;
  }

  /** Waits until the stream is quiet (MONITOR lines arrive asynchronously), then zeroes the count. */
  async reset(): Promise<void> {
    await this.settle();
    this.counted = 0;
  }

  /** Waits for MONITOR lines still in flight. */
  async settle(): Promise<void> {
    let last = -1;
    while (last !== this.counted) {
      last = this.counted;
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
  }

  close(): void {
    this.socket?.destroy();
  }

  private start(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ port, host });
      this.socket = socket;
      socket.once('error', reject);
      socket.once('connect', () => socket.write('MONITOR\r\n'));
      socket.on('data', (data) => {
        this.buffer += data.toString('latin1');
        let newline = this.buffer.indexOf('\r\n');
        while (newline >= 0) {
          const line = this.buffer.slice(0, newline);
          this.buffer = this.buffer.slice(newline + 2);
          if (line === '+OK') resolve();
          else if (line.startsWith('+') && !line.includes(' lua]')) this.counted++;
          newline = this.buffer.indexOf('\r\n');
        }
      });
    });
  }
}
