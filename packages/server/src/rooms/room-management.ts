/**
 * What the server API does to a live room: dismiss it, or remove users from it. {@link localRoomManagement} acts on
 * this node's rooms; in a cluster the node forwards to the room's node (cluster/cluster-node.ts).
 */
import type { RoomDirectory } from './room-directory.ts';
import type { RoomKey } from './room-key.ts';

export interface RoomManagement {
  /** Dismisses the room; false when no room with this key is live. */
  dismissRoom(key: RoomKey): Promise<boolean>;
  /** Removes the users who are in the room (others are ignored, as TRTC does); false when the room is not live. */
  removeUsers(key: RoomKey, userIds: readonly string[]): Promise<boolean>;
}

/** Room control of this node's own rooms. */
export function localRoomManagement(rooms: RoomDirectory): RoomManagement {
  return {
    dismissRoom: (key) => Promise.resolve(rooms.dismissRoom(key) !== undefined),
    removeUsers: (key, userIds) => {
      if (!rooms.getRoom(key)) return Promise.resolve(false);
      for (const userId of userIds) rooms.removeUser(key, userId);
      return Promise.resolve(true);
    },
  };
}
