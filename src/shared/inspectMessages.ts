import type { InspectModel } from '../engine/index.js';

/** Messages between the inspect webview and the extension host (both sides import these types). */
export type ToInspectView = { type: 'model'; model: InspectModel; hostKnown: boolean };
export type FromInspectView = { type: 'ready' } | { type: 'copyJson' };
