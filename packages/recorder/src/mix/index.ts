/** Mixed recording (TRTC RecordMode 2): layouts, parameters and the per-task mixer. */
export {
  mixLayoutParamsSchema,
  mixTranscodeParamsSchema,
  mixOutputFormat,
  parseMixLayout,
  type MixLayout,
  type MixLayoutParams,
  type MixOutputFormat,
  type MixTranscodeParams,
} from './mix-params.ts';
export { layoutTiles, type Canvas, type LayoutEntry, type Tile } from './layout.ts';
export { MixedRecording, type MixedRecordingOptions } from './mixed-recording.ts';
