import { MemoirError, invalidOption } from '../errors';
import type { CachedOptions, GlobalParams } from '../options';
import { defaultCacheDirectory, processState } from '../util';
import { consoleLogger } from './settings';
import { validateOptions } from './validate';

const DEFAULTS: GlobalParams = {
  cachingEnabled: true,
  backend: 'file',
  nextTime: false,
  allowNone: false,
  waitForCalcTimeout: 0,
  lease: '10s',
  separateFiles: false,
  cleanupStale: false,
  cleanupInterval: '1d',
  onBackendError: 'fallback',
};

const KNOWN = new Set<string>([
  ...Object.keys(DEFAULTS),
  'staleAfter',
  'hashFunc',
  'cacheDir',
  'mongetter',
  'redis',
  'sql',
  'table',
  'timeout',
  'serializer',
  'entrySizeLimit',
  'copy',
  'onEvent',
  'logger',
  'clock',
]);

/**
 * The global parameters and their version, one per process (both module copies of memoir
 * share it, see lib/util/process-state.ts). `version` is bumped on every change (enabling and
 * disabling included): memoized functions compare it with the version they resolved their
 * settings at, one read per call.
 */
export const configState = processState('config', () => ({
  version: 0,
  params: { ...DEFAULTS } as GlobalParams,
}));

/**
 * Every global parameter with the value in effect: unset ones show what applies (the
 * console logger, Date.now, the resolved cache directory; `undefined` where the default is
 * "none": staleAfter never, no hashFunc, no size limit). A copy: changing it changes nothing.
 */
export function getGlobalParams(): Readonly<GlobalParams> {
  const effective: GlobalParams = {
    ...DEFAULTS,
    staleAfter: undefined,
    hashFunc: undefined,
    cacheDir: defaultCacheDirectory(),
    mongetter: undefined,
    sql: undefined,
    table: 'memoir_entries',
    timeout: '5s',
    entrySizeLimit: undefined,
    copy: false,
    onEvent: undefined,
    logger: consoleLogger,
    clock: Date.now,
  };
  for (const [key, value] of Object.entries(configState.params)) {
    if (value !== undefined) (effective as unknown as Record<string, unknown>)[key] = value;
  }
  return effective;
}

export function setGlobalParams(partial: Partial<GlobalParams>): void {
  if (partial === null || typeof partial !== 'object') {
    throw invalidOption('setGlobalParams', partial, 'an object of global parameters');
  }
  for (const key of Object.keys(partial)) {
    if (!KNOWN.has(key)) {
      throw new MemoirError(
        'UNKNOWN_PARAM',
        `Unknown global parameter "${key}". Known: ${[...KNOWN].sort().join(', ')}.`,
      );
    }
  }
  if ('cachingEnabled' in partial && typeof partial.cachingEnabled !== 'boolean') {
    throw invalidOption('cachingEnabled', partial.cachingEnabled, 'true or false');
  }
  const { cachingEnabled: _, ...options } = partial;
  validateOptions(options as CachedOptions);
  configState.params = { ...configState.params, ...partial };
  configState.version++;
}

/** Restores the defaults (tests, and scripts that reconfigure more than once). */
export function resetGlobalParams(): void {
  configState.params = { ...DEFAULTS };
  configState.version++;
}

export function enableCaching(): void {
  setGlobalParams({ cachingEnabled: true });
}

export function disableCaching(): void {
  setGlobalParams({ cachingEnabled: false });
}

export function currentParams(): Readonly<GlobalParams> {
  return configState.params;
}
