/** `conclave usersig`: issues a UserSig, or a PrivateMapKey when a room is given (a developer helper). */
import { parseArgs } from 'node:util';
import { ConclaveError, type ErrorCode } from '@conclave/protocol';
// Straight to the auth module: it is pure, and the package entry point would load the whole server.
import { type RoomRef, PrivilegeBits, generatePrivateMapKey, generateUserSig } from '@conclave/server/auth';

/** Usage line of the command. */
export const USERSIG_USAGE = `conclave usersig --app <id> --key <secret> --user <id> [--expire s] [--room n | --str-room s] [--privileges bits]
  --expire      lifetime in seconds (default 86400 for a UserSig, 300 for a PrivateMapKey)
  --privileges  PrivateMapKey privilege bits 0..511 (default 255, TRTC's all; 256 = Conclave's Record)`;

const DEFAULT_USERSIG_EXPIRE = 86_400;
// Tencent recommends short-lived PrivateMapKeys (300 s); they are minted per entry.
const DEFAULT_PRIVATE_MAP_KEY_EXPIRE = 300;

/** Runs `conclave usersig` with the arguments after the verb; returns the token to print. */
export function usersigCommand(argv: string[]): string {
  const values = parseOptions(argv);
  const { app, key, user } = values;
  if (app === undefined || key === undefined || user === undefined) throw usage('--app, --key and --user are required');
  if (values.room !== undefined && values['str-room'] !== undefined)
    throw usage('give either --room or --str-room, not both');

  const sdkAppId = parseInteger(app, 'INVALID_SDK_APP_ID', '--app');
  const room: RoomRef | undefined =
    values.room !== undefined
      ? { roomId: parseInteger(values.room, 'INVALID_ROOM_ID', '--room') }
      : values['str-room'] !== undefined
        ? { strRoomId: values['str-room'] }
        : undefined;
  const expire = values.expire === undefined ? undefined : parseInteger(values.expire, 'INVALID_EXPIRE', '--expire');

  if (room === undefined) {
    if (values.privileges !== undefined) throw usage('--privileges needs --room or --str-room');
    return generateUserSig({ sdkAppId, userId: user, secretKey: key, expireSeconds: expire ?? DEFAULT_USERSIG_EXPIRE });
  }
  const privileges =
    values.privileges === undefined
      ? PrivilegeBits.All
      : parseInteger(values.privileges, 'INVALID_PRIVILEGES', '--privileges');
  return generatePrivateMapKey({
    sdkAppId,
    userId: user,
    secretKey: key,
    expireSeconds: expire ?? DEFAULT_PRIVATE_MAP_KEY_EXPIRE,
    room,
    privileges,
  });
}

function parseOptions(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        app: { type: 'string' },
        key: { type: 'string' },
        user: { type: 'string' },
        expire: { type: 'string' },
        room: { type: 'string' },
        'str-room': { type: 'string' },
        privileges: { type: 'string' },
      },
    }).values;
  } catch {
    // parseArgs quotes the offending argument, which may be the secret key: say what is wrong without it.
    throw usage('unknown option, missing value or stray argument');
  }
}

/** Decimal digits only: Number() would also take '', ' 1', '0x10' and '1e3'. */
function parseInteger(text: string, code: ErrorCode, flag: string): number {
  if (!/^[0-9]{1,15}$/.test(text)) throw new ConclaveError(code, `${flag} must be a decimal integer`);
  return Number(text);
}

function usage(problem: string): ConclaveError {
  return new ConclaveError('CONFIG_INVALID', `${problem}\n\n${USERSIG_USAGE}`);
}
