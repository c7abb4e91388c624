import { MemoryCache } from '../../lib/caches/classes';
import { describeCacheContract } from '../../lib/testing/cache-contract';

describeCacheContract('memory', (options) => new MemoryCache(options), { fakeTime: true });
