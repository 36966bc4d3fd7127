/** Opening the microphone, camera and screen with TRTC's profiles; failures become 5300/5200 RtcErrors. */
import { RtcError } from './errors.ts';
import type { AudioProfile, VideoProfile } from './profiles.ts';

function mediaDevices(fn: string): MediaDevices {
  const md = typeof navigator === 'undefined' ? undefined : navigator.mediaDevices;
  if (!md?.getUserMedia)
    throw RtcError.envNotSupported(fn, 'navigator.mediaDevices is unavailable (a secure context is required)');
  return md;
}

/** Opens a microphone. */
export async function captureMicrophone(
  fn: string,
  profile: AudioProfile,
  microphoneId?: string,
): Promise<MediaStreamTrack> {
  const md = mediaDevices(fn);
  try {
    const stream = await md.getUserMedia({
      audio: {
        ...(microphoneId ? { deviceId: { exact: microphoneId } } : {}),
        sampleRate: profile.sampleRate,
        channelCount: profile.channelCount,
        echoCancellation: true,
        noiseSuppression: true,
        autoGainControl: true,
      },
    });
    const track = stream.getAudioTracks()[0];
    if (!track) throw new Error('no audio track');
    return track;
  } catch (err) {
    throw RtcError.deviceError(fn, err);
  }
}

/** Opens a camera. */
export async function captureCamera(fn: string, profile: VideoProfile, cameraId?: string): Promise<MediaStreamTrack> {
  const md = mediaDevices(fn);
  try {
    const stream = await md.getUserMedia({
      video: { ...(cameraId ? { deviceId: { exact: cameraId } } : {}), ...videoConstraints(profile) },
    });
    const track = stream.getVideoTracks()[0];
    if (!track) throw new Error('no video track');
    return track;
  } catch (err) {
    throw RtcError.deviceError(fn, err);
  }
}

/** Asks the user for a screen, window or tab. */
export async function captureScreen(fn: string, profile: VideoProfile): Promise<MediaStreamTrack> {
  const md = mediaDevices(fn);
  if (!md.getDisplayMedia) throw RtcError.envNotSupported(fn, 'screen capture (getDisplayMedia) is unavailable');
  try {
    const stream = await md.getDisplayMedia({ video: videoConstraints(profile), audio: false });
    const track = stream.getVideoTracks()[0];
    if (!track) throw new Error('no video track');
    track.contentHint = 'detail';
    return track;
  } catch (err) {
    throw RtcError.deviceError(fn, err);
  }
}

/** getUserMedia constraints of a profile. */
export function videoConstraints(profile: VideoProfile): MediaTrackConstraints {
  return {
    width: { ideal: profile.width },
    height: { ideal: profile.height },
    frameRate: { ideal: profile.frameRate },
  };
}
