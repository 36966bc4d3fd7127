/** The scenarios of `conclave bench`: who publishes what and who subscribes to whom. */
import type { MediaKind } from './targets/target.ts';

export type ScenarioName = 'audio-room' | 'meeting' | 'livestream';

export interface ScenarioOptions {
  scenario: ScenarioName;
  /** Speakers (audio room), participants (meeting) or hosts (livestream). */
  publishers: number;
  /** Listeners / viewers who only receive (a meeting's extra viewers). */
  subscribers: number;
  /** Participants admitted per second. */
  joinRate: number;
  /** Measured seconds, after the warm-up. */
  durationS: number;
  simulcast: boolean;
  /** Publishers send E2EE-encrypted media (SFrame); receivers count it as they count plain media. */
  e2ee: boolean;
}

export interface PlannedParticipant {
  userId: string;
  publishes: MediaKind[];
  /** Users whose streams this participant receives. */
  receivesFrom: string[];
}

export const SCENARIO_DEFAULTS: Record<ScenarioName, { publishers: number; subscribers: number }> = {
  'audio-room': { publishers: 10, subscribers: 50 },
  meeting: { publishers: 6, subscribers: 0 },
  livestream: { publishers: 1, subscribers: 50 },
};

/** Publishers first (they join and publish before anyone subscribes), then the receivers. */
export function planScenario(o: ScenarioOptions): { publishers: PlannedParticipant[]; viewers: PlannedParticipant[] } {
  const kinds: MediaKind[] = o.scenario === 'audio-room' ? ['audio'] : ['audio', 'video'];
  const publisherIds = Array.from({ length: o.publishers }, (_, i) => `pub${i}`);
  // In a meeting and an audio room the speakers hear each other; a livestream's hosts do not need to.
  const publishersReceive = o.scenario !== 'livestream';
  const publishers = publisherIds.map((userId) => ({
    userId,
    publishes: kinds,
    receivesFrom: publishersReceive ? publisherIds.filter((p) => p !== userId) : [],
  }));
  const viewers = Array.from({ length: o.subscribers }, (_, i) => ({
    userId: `sub${i}`,
    publishes: [],
    receivesFrom: publisherIds,
  }));
  return { publishers, viewers };
}
