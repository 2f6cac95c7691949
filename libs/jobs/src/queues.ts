/** Queue names and payloads: one place, shared by producers and processors. */
export const QUEUES = {
  validateChallenge: 'validate-challenge',
} as const;

export interface ValidateChallengeJob {
  challengeId: string;
}
