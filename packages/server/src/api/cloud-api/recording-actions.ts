/**
 * TRTC's cloud recording actions: CreateCloudRecording → TaskId, DescribeCloudRecording → Status and
 * StorageFileList, ModifyCloudRecording (SubscribeStreamUserIds applied live; MixLayoutParams applied to a mixed
 * task from that moment on), DeleteCloudRecording. Single-stream (RecordMode 1) or mixed (RecordMode 2, with
 * TRTC's MixLayoutParams and MixTranscodeParams). Files go to the server's configured directory, or through it
 * to the customer's S3-compatible bucket (StorageParams.CloudStorage).
 */
import { z } from 'zod';
import { ConclaveError, strRoomIdSchema, userIdSchema } from '@conclave/protocol';
import {
  cloudStorageSchema,
  mixLayoutParamsSchema,
  mixTranscodeParamsSchema,
  recordParamsSchema,
  subscribeStreamUserIdsSchema,
} from '@conclave/recorder';
import type { RecordingTasks } from '../../recording/recording-tasks.ts';
import { defineAction, sdkAppIdParam, type CloudAction } from './action.ts';

const taskId = z.string().regex(/^[0-9a-f]{24}$/, 'not a TaskId');

const createParams = z
  .object({
    SdkAppId: sdkAppIdParam,
    /** The room as a string; RoomIdType 1 says it is a numeric room. */
    RoomId: strRoomIdSchema,
    RoomIdType: z.union([z.literal(0), z.literal(1)]).default(0),
    UserId: userIdSchema,
    UserSig: z.string().min(1).max(4096),
    RecordParams: recordParamsSchema,
    MixLayoutParams: mixLayoutParamsSchema.optional(),
    MixTranscodeParams: mixTranscodeParamsSchema.optional(),
    StorageParams: z
      .object({
        CloudStorage: z.union([
          cloudStorageSchema,
          // Only folders: the files stay in the server's directory (named with the prefix).
          z.object({ FileNamePrefix: z.array(z.string().max(64)).max(4).optional() }).strict(),
        ]),
      })
      .strict()
      .optional(),
  })
  .strict();

/** MixLayoutParams as TRTC defines it; mixed mode validates the layout itself. Bounded in size here. */
const modifyParams = z
  .object({
    SdkAppId: sdkAppIdParam,
    TaskId: taskId,
    MixLayoutParams: mixLayoutParamsSchema.optional(),
    SubscribeStreamUserIds: subscribeStreamUserIdsSchema.optional(),
  })
  .strict();

export function recordingActions(tasks: RecordingTasks): CloudAction[] {
  return [
    defineAction('CreateCloudRecording', createParams, async (p) => {
      let room: { roomId: number } | { strRoomId: string } = { strRoomId: p.RoomId };
      if (p.RoomIdType === 1) {
        const n = Number(p.RoomId);
        if (!/^\d+$/.test(p.RoomId) || n < 1 || n > 4294967294) throw new ConclaveError('INVALID_ROOM_ID');
        room = { roomId: n };
      }
      const storage = p.StorageParams?.CloudStorage;
      const prefix = storage?.FileNamePrefix?.join('_');
      const TaskId = await tasks.create({
        sdkAppId: p.SdkAppId,
        room,
        userId: p.UserId,
        userSig: p.UserSig,
        recordParams: p.RecordParams,
        mix: {
          ...(p.MixLayoutParams ? { layout: p.MixLayoutParams } : {}),
          ...(p.MixTranscodeParams ? { transcode: p.MixTranscodeParams } : {}),
        },
        ...(prefix ? { fileNamePrefix: prefix } : {}),
        ...(storage && 'Bucket' in storage ? { cloudStorage: storage } : {}),
      });
      return { TaskId };
    }),
    defineAction(
      'DescribeCloudRecording',
      z.object({ SdkAppId: sdkAppIdParam, TaskId: taskId }).strict(),
      async (p) => {
        const { status, files } = tasks.describe(p.SdkAppId, p.TaskId);
        return {
          TaskId: p.TaskId,
          Status: status,
          StorageFileList: files.map((f) => ({
            FileName: f.FileName,
            UserId: f.UserId,
            TrackType: f.TrackType,
            BeginTimeStamp: f.BeginTimeStamp,
          })),
        };
      },
    ),
    defineAction('ModifyCloudRecording', modifyParams, async (p) => {
      await tasks.modify(p.SdkAppId, p.TaskId, {
        ...(p.SubscribeStreamUserIds ? { subscribe: p.SubscribeStreamUserIds } : {}),
        ...(p.MixLayoutParams ? { mixLayout: p.MixLayoutParams } : {}),
      });
      return { TaskId: p.TaskId };
    }),
    defineAction('DeleteCloudRecording', z.object({ SdkAppId: sdkAppIdParam, TaskId: taskId }).strict(), async (p) => {
      await tasks.delete(p.SdkAppId, p.TaskId);
      return { TaskId: p.TaskId };
    }),
  ];
}
