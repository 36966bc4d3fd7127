/** The users of a call as DescribeUserInfo and DescribeCallDetailInfo report them. */
import type { RegionStores } from '../../storage/regions.ts';
import type { CallUser } from '../../telemetry/telemetry-store.ts';
import { seconds } from './query-params.ts';

/** The users of a call present in [start, end], optionally only `userIds`, in entry order. */
export async function usersInWindow(
  stores: RegionStores,
  q: { sdkAppId: number; commId: string; start: number; end: number; userIds?: readonly string[] | undefined },
): Promise<CallUser[]> {
  const region = await stores.storeForApp(q.sdkAppId);
  const users = await region.telemetry.callUsers({ sdkAppId: q.sdkAppId, commId: q.commId });
  const wanted = q.userIds === undefined ? undefined : new Set(q.userIds);
  return users.filter(
    (u) =>
      (wanted === undefined || wanted.has(u.userId)) &&
      u.joinTs <= q.end &&
      (u.leaveTs === null || u.leaveTs >= q.start),
  );
}

/** TRTC's UserInformation; LeaveTs is "now" for a user still in the room. */
export function userInformation(u: CallUser, nowMs: number) {
  return {
    RoomStr: u.roomId,
    UserId: u.userId,
    JoinTs: seconds(u.joinTs),
    LeaveTs: seconds(u.finished && u.leaveTs !== null ? u.leaveTs : nowMs),
    DeviceType: u.osType ?? 'Web',
    SdkVersion: u.sdkVersion ?? '',
    ClientIp: u.clientIp ?? '',
    Finished: u.finished,
  };
}
