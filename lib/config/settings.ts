import type { MemoirEvent } from '../contract';
import type { HashFunc } from '../keys';
import type { CachedOptions, CallOptions, Logger, GlobalParams } from '../options';
import { parseDuration, parseSize } from '../units';

/** The options of one memoized function with units parsed and globals filled in. */
export interface Settings {
  staleAfter: number;
  nextTime: boolean;
  allowNone: boolean;
  waitForCalcTimeout: number;
  lease: number;
  cleanupStale: boolean;
  cleanupInterval: number;
  entrySizeLimit: number | undefined;
  onBackendError: 'fallback' | 'throw';
  onEvent: ((event: MemoirEvent) => void) | undefined;
  logger: Logger;
  clock: () => number;
  hashFunc: HashFunc | undefined;
}

export const consoleLogger: Logger = {
  debug: (message) => console.debug(message),
  warn: (message) => console.warn(message),
};

export function resolveSettings(options: CachedOptions, globals: GlobalParams): Settings {
  const pick = <K extends keyof CachedOptions & keyof GlobalParams>(key: K) =>
    options[key] !== undefined ? options[key] : globals[key];
  const staleAfter = pick('staleAfter');
  const sizeLimit = pick('entrySizeLimit');
  return {
    staleAfter: staleAfter === undefined ? Number.POSITIVE_INFINITY : parseDuration(staleAfter, 'staleAfter'),
    nextTime: pick('nextTime') ?? false,
    allowNone: pick('allowNone') ?? false,
    waitForCalcTimeout: parseDuration(pick('waitForCalcTimeout') ?? 0, 'waitForCalcTimeout'),
    lease: parseDuration(pick('lease') ?? '10s', 'lease'),
    cleanupStale: pick('cleanupStale') ?? false,
    cleanupInterval: parseDuration(pick('cleanupInterval') ?? '1d', 'cleanupInterval'),
    entrySizeLimit: sizeLimit === undefined ? undefined : parseSize(sizeLimit, 'entrySizeLimit'),
    onBackendError: pick('onBackendError') ?? 'fallback',
    onEvent: pick('onEvent'),
    logger: pick('logger') ?? consoleLogger,
    clock: pick('clock') ?? Date.now,
    hashFunc: pick('hashFunc'),
  };
}

/** What one call needs to decide: the function's settings adjusted by `with(...)` options. */
export interface CallPolicy {
  /** Entries older than this (ms) are stale; negative means nothing is ever fresh. */
  freshFor: number;
  nextTime: boolean;
  allowNone: boolean;
  overwrite: boolean;
  verbose: boolean;
}

export function callPolicy(settings: Settings, call: CallOptions | undefined): CallPolicy {
  if (call === undefined) {
    return {
      freshFor: settings.staleAfter,
      nextTime: settings.nextTime,
      allowNone: settings.allowNone,
      overwrite: false,
      verbose: false,
    };
  }
  let freshFor = call.staleAfter !== undefined ? parseDuration(call.staleAfter, 'staleAfter') : settings.staleAfter;
  if (call.maxAge !== undefined) freshFor = Math.min(freshFor, parseDuration(call.maxAge, 'maxAge', true));
  return {
    freshFor,
    // a negative maxAge demands a recomputation now: serving stale would defeat it
    nextTime: freshFor >= 0 && (call.nextTime ?? settings.nextTime),
    allowNone: call.allowNone ?? settings.allowNone,
    // A negative maxAge is an overwrite: the caller wants a value computed after its call
    // began, so it must neither read an entry nor join a calculation already running.
    overwrite: call.overwriteCache === true || freshFor < 0,
    verbose: call.verbose === true,
  };
}
