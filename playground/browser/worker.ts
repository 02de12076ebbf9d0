/**
 * The playground's Web Worker: one run of the student's Raft on the simulator, paced for the
 * page. It plays at a speed (simulated ms per real ms), pauses, steps one event, or runs as
 * fast as it can to a target (an instant or an event count) and waits there; the page starts
 * a fresh worker to go back in time, and ends it if student code holds the thread.
 */
import { stderrLines } from './shims/host.ts';
import { nextEventAtMs, now, realSetTimeout, realClearTimeout, realPerformanceNow } from '../../sim/index.ts';
import { setWarningSink } from '../../labrpc/index.ts';
import { Session, type SessionHost } from '../engine/session.ts';
import { probeKv } from '../engine/kv-probe.ts';
import type { FromWorker, Target, ToWorker } from '../engine/protocol.ts';

const post = (message: FromWorker): void => (globalThis as unknown as { postMessage(m: FromWorker): void }).postMessage(message);

stderrLines.sink = (text) => post({ type: 'log', text: text.replace(/\n$/, '') });
setWarningSink((text) => post({ type: 'log', text }));

/** Frames at most this often while running (ms of real time): the page draws at 60 fps. */
const frameEveryMs = 16;
/** While no event fires, a frame this often (the page animates between events on its own). */
const quietFrameEveryMs = 250;

type Mode = 'play' | 'paused' | 'step' | 'target';

class Pacer implements SessionHost {
  readonly draws = true;
  session: Session | undefined;
  mode: Mode = 'paused';
  speed = 1;
  target: Target = null;
  /** After reaching the target: play on at this speed, or stay paused. */
  thenPlay = false;
  private release: (() => void) | undefined;
  private anchorWallMs = 0;
  private anchorSimMs = 0;
  private lastFrameWallMs = 0;
  /** Events fired when the last frame was sent. */
  private lastFrameEvents = -1;
  private shownSimMs = 0;
  private wake: ReturnType<typeof realSetTimeout> | undefined;
  /** In step mode: the one event was fired; pause at the next stop. */
  private stepped = false;

  between(release: () => void): void {
    this.release = release;
    this.decide();
  }

  play(speed: number): void {
    this.speed = speed;
    this.mode = 'play';
    this.anchor();
    this.decide();
  }

  pause(): void {
    this.mode = 'paused';
    this.sendFrame(true);
  }

  step(): void {
    this.mode = 'step';
    this.decide();
  }

  seek(target: NonNullable<Target>, speed: number): void {
    this.mode = 'target';
    this.target = target;
    this.thenPlay = speed > 0;
    if (speed > 0) this.speed = speed;
    this.lastFrameWallMs = 0;
    this.decide();
  }

  private anchor(): void {
    this.anchorWallMs = realPerformanceNow();
    this.anchorSimMs = this.shownSimMs;
  }

  private reached(target: NonNullable<Target>): boolean {
    const s = this.session!;
    if ('events' in target) return s.eventsFired >= target.events;
    const next = nextEventAtMs();
    return next === undefined || next > target.timeMs;
  }

  decide(): void {
    if (this.wake !== undefined) {
      realClearTimeout(this.wake);
      this.wake = undefined;
    }
    const release = this.release;
    if (release === undefined || this.session === undefined) return;
    const wall = realPerformanceNow();
    switch (this.mode) {
      case 'paused':
        if (this.lastFrameWallMs === 0) this.sendFrame(true);
        return;
      case 'step':
        if (this.stepped) {
          this.stepped = false;
          this.mode = 'paused';
          this.shownSimMs = this.clock();
          this.sendFrame(true);
          return;
        }
        this.stepped = true;
        return this.fire(release);
      case 'target': {
        const target = this.target!;
        if (this.reached(target)) {
          this.shownSimMs = 'timeMs' in target ? Math.max(this.clock(), target.timeMs) : this.clock();
          if (this.thenPlay) {
            this.mode = 'play';
            this.anchor();
            return this.decide();
          }
          this.mode = 'paused';
          this.sendFrame(true);
          return;
        }
        if (wall - this.lastFrameWallMs > 100) {
          this.shownSimMs = this.clock();
          this.sendFrame(false);
        }
        return this.fire(release);
      }
      case 'play': {
        const next = nextEventAtMs() ?? Number.POSITIVE_INFINITY;
        const simNow = this.speed === Number.POSITIVE_INFINITY ? next : this.anchorSimMs + (wall - this.anchorWallMs) * this.speed;
        if (next <= simNow) {
          if (wall - this.lastFrameWallMs >= frameEveryMs) {
            this.shownSimMs = Math.max(this.shownSimMs, this.clock());
            this.sendFrame(false);
          }
          return this.fire(release);
        }
        this.shownSimMs = Math.max(this.shownSimMs, simNow);
        // Between events the page moves the picture on by itself: a frame only if one fired, or now and then.
        const news = this.session.eventsFired !== this.lastFrameEvents;
        if (wall - this.lastFrameWallMs >= (news ? frameEveryMs : quietFrameEveryMs)) this.sendFrame(false);
        const waitMs = Math.min(frameEveryMs, Math.max(0, (next - simNow) / this.speed));
        this.wake = realSetTimeout(() => {
          this.wake = undefined;
          this.decide();
        }, waitMs);
        return;
      }
    }
  }

  private clock(): number {
    return now();
  }

  private fire(release: () => void): void {
    this.release = undefined;
    release();
  }

  sendFrame(paused: boolean): void {
    if (this.session === undefined) return;
    this.lastFrameWallMs = realPerformanceNow();
    this.lastFrameEvents = this.session.eventsFired;
    post({ type: 'frame', frame: this.session.frame(this.shownSimMs), paused });
  }
}

const pacer = new Pacer();

async function start(message: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  let session: Session;
  try {
    session = new Session(message.config, message.actions, pacer);
  } catch (e) {
    // Settings this build cannot run (a kv scene with no kvraft bundled): say so, run nothing.
    post({ type: 'ended', ok: false, message: e instanceof Error ? e.message : String(e), traceHash: '', timeMs: 0, events: 0, realMs: 0 });
    return;
  }
  pacer.session = session;
  pacer.speed = message.speed;
  if (message.headless !== undefined) {
    // A run to a fixed end (tests compare its trace hash with Node's): at a speed, or at full speed.
    pacer.mode = 'play';
    pacer.speed = message.headless.speed ?? Number.POSITIVE_INFINITY;
  } else if (message.target !== null) {
    pacer.mode = 'target';
    pacer.target = message.target;
    pacer.thenPlay = message.speed > 0;
  } else {
    pacer.mode = message.speed > 0 ? 'play' : 'paused';
  }
  const outcome = await session.run(message.headless?.untilMs);
  pacer.sendFrame(true);
  post({ type: 'ended', ...outcome });
}

globalThis.addEventListener('message', (event: MessageEvent<ToWorker>) => {
  const m = event.data;
  switch (m.type) {
    case 'start':
      void start(m);
      return;
    case 'play':
      return pacer.play(m.speed);
    case 'pause':
      return pacer.pause();
    case 'step':
      return pacer.step();
    case 'action': {
      const s = pacer.session;
      if (s === undefined) return;
      const action = s.act(m.action);
      post({ type: 'recorded', action });
      // The action's continuations settle before the frame shows it.
      realSetTimeout(() => pacer.sendFrame(pacer.mode === 'paused'), 0);
      return;
    }
    case 'seek':
      return pacer.seek(m.target, m.speed);
    case 'schedule':
      pacer.session?.schedule(m.action);
      return;
    case 'ping':
      post({ type: 'pong', id: m.id });
      return;
    case 'probe':
      void probeKv().then((probe) => post({ type: 'kv-probe', probe }));
      return;
  }
});
