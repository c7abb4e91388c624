import type { BuiltinPluginName, CacheCommand, CachePlugin, PluginContext } from '../contract';
import { invalidOption } from '../errors';

/**
 * Plugins: objects with `pre<Command>` / `post<Command>` hooks, awaited in registration order.
 * A hook that throws rejects the command (a post hook's throw arrives after the command ran:
 * nothing is rolled back).
 */

/** Counts hits and misses of `get` and `multiGet` (one per key). */
export class HitMissRatio implements CachePlugin {
  hits = 0;
  total = 0;

  get hitRatio(): number {
    return this.total === 0 ? 0 : this.hits / this.total;
  }

  postGet(context: PluginContext): void {
    this.total++;
    if (context.hit) this.hits++;
  }

  postMultiGet(context: PluginContext): void {
    for (const value of context.result as unknown[]) {
      this.total++;
      if (value !== undefined) this.hits++;
    }
  }
}

export interface CommandTiming {
  count: number;
  min: number;
  max: number;
  avg: number;
  total: number;
}

/** Its post hooks are installed per command in the constructor. */
export interface Timing extends CachePlugin {}

/** Times every command; `stats()` gives count, min, max, avg and total ms per command. */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface only declares the hooks the constructor installs.
export class Timing implements CachePlugin {
  private readonly timings = new Map<CacheCommand, CommandTiming>();

  constructor() {
    for (const command of COMMANDS) {
      (this as unknown as Record<string, unknown>)[hookName('post', command)] = (context: PluginContext) => this.record(context);
    }
  }

  stats(): Partial<Record<CacheCommand, CommandTiming>> {
    const out: Partial<Record<CacheCommand, CommandTiming>> = {};
    for (const [command, timing] of this.timings) out[command] = { ...timing };
    return out;
  }

  private record(context: PluginContext): void {
    const ms = context.ms ?? 0;
    const timing = this.timings.get(context.command);
    if (!timing) {
      this.timings.set(context.command, { count: 1, min: ms, max: ms, avg: ms, total: ms });
      return;
    }
    timing.count++;
    timing.total += ms;
    timing.min = Math.min(timing.min, ms);
    timing.max = Math.max(timing.max, ms);
    timing.avg = timing.total / timing.count;
  }
}

export const hitMissRatio = (): HitMissRatio => new HitMissRatio();
export const timing = (): Timing => new Timing();

export const COMMANDS: readonly CacheCommand[] = [
  'get',
  'set',
  'add',
  'multiGet',
  'multiSet',
  'exists',
  'increment',
  'expire',
  'delete',
  'clear',
  'raw',
  'getOrSet',
  'lock',
  'optimisticLock',
];

const BUILT_IN: Record<BuiltinPluginName, () => CachePlugin> = { hitMissRatio, timing };

export function hookName(phase: 'pre' | 'post', command: CacheCommand): keyof CachePlugin {
  return `${phase}${command[0].toUpperCase()}${command.slice(1)}` as keyof CachePlugin;
}

/** Validates the `plugins` option and instantiates built-ins given by name. */
export function resolvePlugins(value: unknown, option = 'plugins'): CachePlugin[] {
  if (value === undefined) return [];
  const accepted = `an array of plugin objects (with hooks such as preGet/postSet) or built-in names (${Object.keys(BUILT_IN)
    .map((name) => `'${name}'`)
    .join(', ')})`;
  if (!Array.isArray(value)) throw invalidOption(option, value, accepted);
  return value.map((plugin, index) => {
    if (typeof plugin === 'string' && plugin in BUILT_IN) return BUILT_IN[plugin as BuiltinPluginName]();
    if (typeof plugin !== 'object' || plugin === null) throw invalidOption(`${option}[${index}]`, plugin, accepted);
    for (const [name, hook] of Object.entries(plugin)) {
      if (/^(pre|post)[A-Z]/.test(name) && typeof hook !== 'function') throw invalidOption(`${option}[${index}].${name}`, hook, 'a function');
    }
    return plugin as CachePlugin;
  });
}

/** The hooks of one phase of one command, in registration order (computed once per cache). */
export function hooksOf(plugins: readonly CachePlugin[], phase: 'pre' | 'post', command: CacheCommand) {
  const name = hookName(phase, command);
  const hooks: Array<(context: PluginContext) => unknown> = [];
  for (const plugin of plugins) {
    const hook = plugin[name];
    if (typeof hook === 'function') hooks.push(hook.bind(plugin));
  }
  return hooks;
}
