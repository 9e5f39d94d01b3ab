// The seed's clock: the store reads `now()` for every timestamp it writes, so a seed that moves this clock through
// the scenario leaves a history spread over three weeks instead of a few seconds.

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

export interface SeedClockOptions {
  /** How many days before the real current time the history starts (21 by default). */
  days?: number;
  /** The hour of day (UTC) at which the history starts (8 by default). */
  startHourUtc?: number;
  /** How far each reading moves the clock on, so that no two writes share a timestamp (7 s by default). */
  stepMs?: number;
  /** The real clock, injectable for tests. */
  realNow?: () => number;
}

/**
 * A monotonic clock for the seed. Day 0 is `days` days before today, starting at `startHourUtc`; `at(day, hour)`
 * moves to that time of a scenario day (never backwards), and every reading advances the clock by `stepMs`. It
 * never reads later than the real current time, so a seeded history always lies in the past.
 */
export class SeedClock {
  readonly start: Date;
  private current: number;
  private readonly stepMs: number;
  private readonly realNow: () => number;

  constructor(options: SeedClockOptions = {}) {
    this.realNow = options.realNow ?? (() => Date.now());
    this.stepMs = options.stepMs ?? 7_000;
    const days = options.days ?? 21;
    const startOfDay = Math.floor((this.realNow() - days * DAY_MS) / DAY_MS) * DAY_MS;
    this.current = startOfDay + (options.startHourUtc ?? 8) * HOUR_MS;
    this.start = new Date(this.current);
  }

  /** The current seed time; each reading moves the clock on by one step. Bound, so it can be passed as `now`. */
  readonly now = (): Date => {
    const reading = Math.min(this.current, this.realNow());
    this.current += this.stepMs;
    return new Date(reading);
  };

  /** Moves to `hour:minute` (UTC) of scenario day `day`, day 0 being the day the history starts. */
  at(day: number, hour: number, minute = 0): void {
    const startOfDay0 = Math.floor(this.start.getTime() / DAY_MS) * DAY_MS;
    this.current = Math.max(this.current, startOfDay0 + day * DAY_MS + hour * HOUR_MS + minute * MINUTE_MS);
  }

  /** Moves the clock on by `minutes`. */
  advance(minutes: number): void {
    this.current += Math.max(0, minutes) * MINUTE_MS;
  }

  /** The time the next reading would return, without advancing it. */
  peek(): Date {
    return new Date(Math.min(this.current, this.realNow()));
  }
}
