/** Join tokens: UserSig and PrivateMapKey (generate and verify), and the identifiers they carry. */
export {
  type RoomRef,
  MAX_ROOM_ID,
  MAX_SDK_APP_ID,
  sameRoom,
  validateRoom,
  validateRoomId,
  validateSdkAppId,
  validateStrRoomId,
  validateUserId,
} from './identifiers.ts';
export {
  type GenerateUserSigOptions,
  type VerifiedUserSig,
  type VerifyUserSigOptions,
  MAX_EXPIRE_SECONDS,
  MAX_FUTURE_SKEW_SECONDS,
  MAX_INFLATED_BYTES,
  MAX_USERBUF_BYTES,
  MAX_USERSIG_CHARS,
  generateUserSig,
  validateExpireSeconds,
  verifyUserSig,
} from './user-sig.ts';
export {
  type GeneratePrivateMapKeyOptions,
  type PrivateMapKeyRecord,
  type PrivilegeBit,
  type VerifiedPrivateMapKey,
  type VerifyPrivateMapKeyOptions,
  PrivilegeBits,
  KNOWN_PRIVILEGE_BITS,
  decodePrivateMapKeyRecord,
  encodePrivateMapKeyRecord,
  generatePrivateMapKey,
  requirePrivilege,
  verifyPrivateMapKey,
} from './private-map-key.ts';
export { TC3_MAX_SKEW_SECONDS, tc3Date, tc3Signature, verifyTc3, type Tc3Request, type Tc3Verified } from './tc3.ts';
