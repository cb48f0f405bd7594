import type { EngineDeps } from './engine-deps.ts';
import { fireDueTimers } from './fire-due-timers.ts';
import { deliverNotification, processOutbox, type OutboxHandler } from './process-outbox.ts';

export const defaultOutboxHandlers: Readonly<Record<string, OutboxHandler>> = { notification: deliverNotification };

/**
 * Polls timers and the outbox every `intervalMs` until stopped. Many workers may run against one
 * PostgreSQL. `onError` sees faults (the loop keeps going); `stop()` waits for the round in progress.
 */
export function startWorker(
  deps: EngineDeps,
  options: { intervalMs: number; handlers?: Readonly<Record<string, OutboxHandler>>; onError: (error: unknown) => void },
): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> = Promise.resolve();
  const tick = () => {
    round = (async () => {
      try {
        await fireDueTimers(deps);
        await processOutbox(deps, options.handlers ?? defaultOutboxHandlers);
      } catch (error) {
        options.onError(error);
      }
      if (!stopped) timer = setTimeout(tick, options.intervalMs);
    })();
  };
  timer = setTimeout(tick, 0);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await round;
    },
  };
}
