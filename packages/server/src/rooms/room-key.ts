/** How a room is named: an app plus a numeric or a string room id (trtc.md §3). */
import type { RoomRef } from '../auth/index.ts';

/**
 * A room's identity. Apps are isolated, and numeric room 123 and string room "123" are different rooms,
 * so the key keeps which of the two namespaces it lives in.
 */
export type RoomKey = { readonly sdkAppId: number } & RoomRef;

/**
 * A string that is equal for two keys exactly when they name the same room: `{sdkAppId}#{roomId}` for numeric
 * rooms and `{sdkAppId}$"{strRoomId}"` for string rooms. The namespace marker sits before the id, so a strRoomId
 * containing `#` or digits can never collide with a numeric room.
 */
export function roomKeyString(key: RoomKey): string {
  return 'roomId' in key ? `${key.sdkAppId}#${key.roomId}` : `${key.sdkAppId}$${JSON.stringify(key.strRoomId)}`;
}
