/**
 * One process of the cross-process stampede, reused for every library: on
 * { type: 'go', library, namespace } it memoizes a slow function with that library on the
 * Redis at STAMPEDE_URL, makes STAMPEDE_CALLERS concurrent calls of one key, and reports how
 * often its body ran here.
 */
import { openSubject, type RedisSubject, type SubjectName } from './subjects';

const url = process.env.STAMPEDE_URL!;
const callers = Number(process.env.STAMPEDE_CALLERS ?? 1000);
const bodyMs = Number(process.env.STAMPEDE_BODY_MS ?? 100);
const subjects = new Map<SubjectName, RedisSubject>();

async function subjectOf(library: SubjectName): Promise<RedisSubject> {
  let subject = subjects.get(library);
  if (!subject) subjects.set(library, (subject = await openSubject(library, url)));
  return subject;
}

process.on(
  'message',
  async (message: { type: string; library: SubjectName; namespace: string }) => {
    if (message.type === 'open') {
      await subjectOf(message.library);
      process.send?.({ type: 'opened', library: message.library });
      return;
    }
    if (message.type !== 'go') return;
    let runs = 0;
    const fn = (await subjectOf(message.library)).wrap(async (id) => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, bodyMs));
      return { id, by: process.pid };
    }, message.namespace);
    const outcomes = await Promise.allSettled(Array.from({ length: callers }, () => fn(7)));
    process.send?.({
      type: 'done',
      library: message.library,
      runs,
      fulfilled: outcomes.filter((outcome) => outcome.status === 'fulfilled').length,
    });
  },
);

process.on('disconnect', () => {
  void Promise.all(
    [...subjects.values()].map((subject) => subject.close().catch(() => undefined)),
  ).finally(() => process.exit(0));
});

process.send?.({ type: 'ready' });
